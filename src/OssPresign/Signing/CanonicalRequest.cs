using System.Text;

namespace OssPresign.Signing;

/// <summary>
/// The V4 canonical request (OSS-V4.md §1.4-§1.9), built from plain values: the client feeds it from a presign
/// request or an <see cref="HttpRequestMessage"/>, the server from the request it received. There is no other
/// canonicalization in the codebase.
/// </summary>
public sealed class CanonicalRequest
{
    private const string OssHeaderPrefix = "x-oss-";
    private const string ContentType = "content-type";
    private const string ContentMd5 = "content-md5";

    private readonly KeyValuePair<string, string>[] _parameters;
    private readonly KeyValuePair<string, string>[] _headers;

    /// <summary>Canonicalizes a request.</summary>
    /// <param name="method">The HTTP method; upper-cased.</param>
    /// <param name="bucket">The bucket, or null for service-level requests.</param>
    /// <param name="key">The object key as given (not encoded), or null for bucket-level requests.</param>
    /// <param name="parameters">
    /// Every query parameter, decoded, except <c>x-oss-signature</c>. An empty value is a key-only parameter.
    /// </param>
    /// <param name="headers">Every request header; the signed ones are picked here (§1.7).</param>
    /// <param name="additionalHeaders">
    /// The resolved additional-header list (lower-case, sorted, unique; see <see cref="ResolveAdditionalHeaders"/>).
    /// </param>
    /// <param name="hashedPayload">The value of <c>x-oss-content-sha256</c>, or <c>UNSIGNED-PAYLOAD</c>.</param>
    public CanonicalRequest(
        string method,
        string? bucket,
        string? key,
        IEnumerable<KeyValuePair<string, string>> parameters,
        IEnumerable<KeyValuePair<string, string>> headers,
        IReadOnlyList<string> additionalHeaders,
        string hashedPayload = OssV4.UnsignedPayload)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(additionalHeaders);
        ArgumentNullException.ThrowIfNull(hashedPayload);

        Method = method.ToUpperInvariant();
        Bucket = string.IsNullOrEmpty(bucket) ? null : bucket;
        Key = string.IsNullOrEmpty(key) ? null : key;
        AdditionalHeaders = additionalHeaders;
        HashedPayload = hashedPayload;
        _parameters = parameters is ICollection<KeyValuePair<string, string>> { Count: 0 } ? [] : parameters.ToArray();
        EncodeAndSortParameters(_parameters);
        _headers = SelectSignedHeaders(headers, additionalHeaders);
    }

    /// <summary>The upper-case HTTP method.</summary>
    public string Method { get; }

    /// <summary>The bucket, or null.</summary>
    public string? Bucket { get; }

    /// <summary>The raw object key, or null.</summary>
    public string? Key { get; }

    /// <summary>The additional headers, line 5 of the canonical request joined with <c>;</c>.</summary>
    public IReadOnlyList<string> AdditionalHeaders { get; }

    /// <summary>The hashed payload, line 6.</summary>
    public string HashedPayload { get; }

    /// <summary>The signed headers: lower-case names, trimmed values, sorted by name (§1.7).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> SignedHeaders => _headers;

    /// <summary>The canonical URI: <c>/bucket/key</c> URI-encoded with <c>/</c> kept (§1.5).</summary>
    public string CanonicalUri
    {
        get
        {
            var builder = new PooledCharBuilder(64);
            try
            {
                CanonicalFields.AppendCanonicalUri(ref builder, Bucket, Key);
                return builder.ToString();
            }
            finally
            {
                builder.Dispose();
            }
        }
    }

    /// <summary>
    /// Whether a header is signed without being listed as additional: <c>x-oss-*</c>, <c>content-type</c> and
    /// <c>content-md5</c>, compared case-insensitively (§1.7).
    /// </summary>
    /// <param name="name">The header name.</param>
    /// <returns>True for the default signed set.</returns>
    public static bool IsSignedByDefault(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith(OssHeaderPrefix, StringComparison.OrdinalIgnoreCase)
            || name.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || name.Equals(ContentMd5, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Whether a header is signed (§1.7): in the default set, or named in the additional-header list, compared as the
    /// canonical request compares them (the name lower-cased, then ordinally), without allocating for ASCII names.
    /// </summary>
    /// <param name="name">The header name, in any case.</param>
    /// <param name="additionalHeaders">The additional-header list (resolved, lower-case).</param>
    /// <returns>True when the canonical request signs a header of this name.</returns>
    public static bool IsSigned(string name, IReadOnlyList<string> additionalHeaders)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(additionalHeaders);
        return Ascii.IsValid(name) ? IsSignedAscii(name, additionalHeaders) : ToLowerIfSigned(name, additionalHeaders) is not null;
    }

    private static bool IsSignedAscii(string name, IReadOnlyList<string> additionalHeaders)
    {
        if (IsSignedByDefault(name))
        {
            return true;
        }

        // For an ASCII name, "lower-cased equals the entry" is "equals a lower-case entry ignoring ASCII case".
        for (var i = 0; i < additionalHeaders.Count; i++)
        {
            var entry = additionalHeaders[i];
            if (!entry.AsSpan().ContainsAnyInRange('A', 'Z') && Ascii.EqualsIgnoreCase(name, entry))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Resolves a configured additional-header list for signing (§1.8): lower-case, drop the default signed set,
    /// drop the names the request does not carry, de-duplicate, sort ordinally.
    /// </summary>
    /// <param name="configured">The configured names, in any case.</param>
    /// <param name="requestHasHeader">Whether the request carries a (non-empty) header of that name.</param>
    /// <returns>The list for line 5 of the canonical request; empty when nothing is left.</returns>
    public static IReadOnlyList<string> ResolveAdditionalHeaders(IEnumerable<string> configured, Func<string, bool> requestHasHeader)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(requestHasHeader);
        List<string>? resolved = null;
        foreach (var name in configured)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                continue;
            }

            var lower = name.Trim().ToLowerInvariant();
            if (IsSignedByDefault(lower) || !requestHasHeader(lower) || (resolved?.Contains(lower) ?? false))
            {
                continue;
            }

            (resolved ??= []).Add(lower);
        }

        if (resolved is null)
        {
            return [];
        }

        resolved.Sort(StringComparer.Ordinal);
        return resolved;
    }

    /// <summary>The canonical request text, six fields joined by LF.</summary>
    /// <returns>The text whose SHA-256 is line 4 of the string to sign.</returns>
    public override string ToString()
    {
        var builder = new PooledCharBuilder(512);
        try
        {
            Fields.Write(ref builder);
            return builder.ToString();
        }
        finally
        {
            builder.Dispose();
        }
    }

    /// <summary>The canonicalized fields, as the signer reads them.</summary>
    internal CanonicalFields Fields => new(Method, Bucket, Key, _parameters, _headers, AdditionalHeaders, HashedPayload);

    /// <summary>
    /// Encodes the names in place and sorts by encoded name (§1.6 rule 2), then by raw value. Values are encoded as
    /// they are written. Duplicate names keep every value, ordered like the Python SDK: what OSS does with them is
    /// UNCERTAIN (§1.6 rule 4), and the presign API never emits them.
    /// </summary>
    internal static void EncodeAndSortParameters(Span<KeyValuePair<string, string>> parameters)
    {
        EncodeNames(parameters);
        if (parameters.Length > InsertionSortLimit)
        {
            parameters.Sort(CompareByNameThenValue);
            return;
        }

        InsertionSort(parameters, default(ByNameThenValue));
    }

    /// <summary>
    /// Encodes the names in place, as <see cref="EncodeAndSortParameters"/>, and writes into <paramref name="order"/> the
    /// indices of the parameters in canonical order, leaving the parameters themselves in the order they were added
    /// (the presigned URL's order).
    /// </summary>
    internal static void EncodeNamesAndSortOrder(Span<KeyValuePair<string, string>> parameters, Span<int> order)
    {
        EncodeNames(parameters);
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (order.Length > InsertionSortLimit)
        {
            var copy = parameters.ToArray();
            order.Sort((a, b) => CompareByNameThenValue(copy[a], copy[b]));
            return;
        }

        InsertionSort(order, new ByParameterAt(parameters));
    }

    private const int InsertionSortLimit = 32;

    /// <summary>
    /// Stable insertion sort: a request has a handful of parameters, and this neither allocates nor calls through a
    /// delegate, unlike <see cref="MemoryExtensions.Sort{T}(Span{T}, Comparison{T})"/> (a few percent of a verification).
    /// </summary>
    private static void InsertionSort<T, TComparer>(Span<T> items, TComparer comparer)
        where TComparer : IComparer<T>, allows ref struct
    {
        for (var i = 1; i < items.Length; i++)
        {
            var current = items[i];
            var j = i - 1;
            while (j >= 0 && comparer.Compare(items[j], current) > 0)
            {
                items[j + 1] = items[j];
                j--;
            }

            items[j + 1] = current;
        }
    }

    private readonly struct ByNameThenValue : IComparer<KeyValuePair<string, string>>
    {
        public int Compare(KeyValuePair<string, string> x, KeyValuePair<string, string> y) => CompareByNameThenValue(x, y);
    }

    private readonly ref struct ByParameterAt(ReadOnlySpan<KeyValuePair<string, string>> parameters) : IComparer<int>
    {
        private readonly ReadOnlySpan<KeyValuePair<string, string>> _parameters = parameters;

        public int Compare(int x, int y) => CompareByNameThenValue(_parameters[x], _parameters[y]);
    }

    private static void EncodeNames(Span<KeyValuePair<string, string>> parameters)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = new(OssUriEncoding.EncodeQueryComponent(parameters[i].Key), parameters[i].Value ?? string.Empty);
        }
    }

    private static int CompareByNameThenValue(KeyValuePair<string, string> a, KeyValuePair<string, string> b)
    {
        var byName = string.CompareOrdinal(a.Key, b.Key);
        return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
    }

    /// <summary>
    /// Picks the signed headers (§1.7) into <paramref name="selected"/>: lower-case names, trimmed values, a repeated
    /// header once with its values joined by <c>,</c> (Go SDK; HTTP list semantics), sorted by name.
    /// </summary>
    internal static void SelectSignedHeaders(
        ReadOnlySpan<KeyValuePair<string, string>> headers, IReadOnlyList<string> additionalHeaders, ref PooledPairList selected)
    {
        foreach (var (name, value) in headers)
        {
            AddIfSigned(ref selected, name, value, additionalHeaders);
        }

        SortByName(selected.Items);
    }

    private static KeyValuePair<string, string>[] SelectSignedHeaders(
        IEnumerable<KeyValuePair<string, string>> headers, IReadOnlyList<string> additionalHeaders)
    {
        if (headers is ICollection<KeyValuePair<string, string>> { Count: 0 })
        {
            return [];
        }

        var selected = default(PooledPairList);
        try
        {
            foreach (var (name, value) in headers)
            {
                AddIfSigned(ref selected, name, value, additionalHeaders);
            }

            SortByName(selected.Items);
            return selected.Items.ToArray();
        }
        finally
        {
            selected.Dispose();
        }
    }

    private static void AddIfSigned(ref PooledPairList selected, string name, string? value, IReadOnlyList<string> additionalHeaders)
    {
        var lower = ToLowerIfSigned(name, additionalHeaders);
        if (lower is null)
        {
            return;
        }

        var trimmed = (value ?? string.Empty).Trim();
        var items = selected.Items;
        for (var i = 0; i < items.Length; i++)
        {
            if (string.Equals(items[i].Key, lower, StringComparison.Ordinal))
            {
                items[i] = new(lower, items[i].Value + "," + trimmed);
                return;
            }
        }

        selected.Add(lower, trimmed);
    }

    /// <summary>The lower-case name of a signed header, or null when the header is not signed.</summary>
    private static string? ToLowerIfSigned(string name, IReadOnlyList<string> additionalHeaders)
    {
        if (Ascii.IsValid(name) && !IsSignedAscii(name, additionalHeaders))
        {
            // Most headers a server sees are not signed (Host, Content-Length): decided without a lower-case copy.
            return null;
        }

        var lower = ToLowerInvariantReusing(name, additionalHeaders);
        return IsSignedByDefault(lower) || Contains(additionalHeaders, lower) ? lower : null;
    }

    /// <summary>
    /// <c>name.ToLowerInvariant()</c>, except that the lower-case spelling of a usual signed header ("Content-Type")
    /// is taken from the constants or the additional-header list instead of allocating a string per request.
    /// </summary>
    private static string ToLowerInvariantReusing(string name, IReadOnlyList<string> additionalHeaders)
    {
        if (!Ascii.IsValid(name))
        {
            // Outside ASCII only the full definition will do.
            return name.ToLowerInvariant();
        }

        if (!name.AsSpan().ContainsAnyInRange('A', 'Z'))
        {
            return name;
        }

        if (Ascii.EqualsIgnoreCase(name, ContentType))
        {
            return ContentType;
        }

        if (Ascii.EqualsIgnoreCase(name, ContentMd5))
        {
            return ContentMd5;
        }

        for (var i = 0; i < additionalHeaders.Count; i++)
        {
            var candidate = additionalHeaders[i];
            if (Ascii.IsValid(candidate) && !candidate.AsSpan().ContainsAnyInRange('A', 'Z') && Ascii.EqualsIgnoreCase(name, candidate))
            {
                return candidate;
            }
        }

        return name.ToLowerInvariant();
    }

    private static void SortByName(Span<KeyValuePair<string, string>> pairs) => pairs.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
