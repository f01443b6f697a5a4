using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace OssPresign.Signing;

/// <summary>
/// The V4 canonical request (OSS-V4.md §1.4-§1.9), built from plain values: the client feeds it from a presign
/// request or an <see cref="HttpRequestMessage"/>, the server from the request it received. There is no other
/// canonicalization in the codebase.
/// </summary>
public sealed class CanonicalRequest
{
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
        _parameters = EncodeAndSortParameters(parameters);
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
                AppendCanonicalUri(ref builder);
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
        return name.StartsWith("x-oss-", StringComparison.OrdinalIgnoreCase)
            || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)
            || name.Equals("content-md5", StringComparison.OrdinalIgnoreCase);
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
            Write(ref builder);
            return builder.ToString();
        }
        finally
        {
            builder.Dispose();
        }
    }

    /// <summary>Writes the lower-case hex SHA-256 of the UTF-8 canonical request (64 chars) into <paramref name="destination"/>.</summary>
    internal void WriteHexHash(Span<char> destination)
    {
        var builder = new PooledCharBuilder(512);
        try
        {
            Write(ref builder);
            var text = builder.Written;
            var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
            try
            {
                var count = Encoding.UTF8.GetBytes(text, bytes);
                Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
                ReusedHashes.Sha256(bytes.AsSpan(0, count), hash);
                Convert.TryToHexStringLower(hash, destination, out _);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        finally
        {
            builder.Dispose();
        }
    }

    private void Write(ref PooledCharBuilder builder)
    {
        builder.Append(Method);
        builder.Append('\n');
        AppendCanonicalUri(ref builder);
        builder.Append('\n');

        for (var i = 0; i < _parameters.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('&');
            }

            builder.Append(_parameters[i].Key);
            if (_parameters[i].Value.Length > 0)
            {
                // §1.6 rule 3: an empty value is written as the bare name, whether the URL had "k" or "k=".
                builder.Append('=');
                OssUriEncoding.AppendQueryComponent(ref builder, _parameters[i].Value);
            }
        }

        builder.Append('\n');
        foreach (var (name, value) in _headers)
        {
            builder.Append(name);
            builder.Append(':');
            builder.Append(value);
            builder.Append('\n');
        }

        builder.Append('\n');
        for (var i = 0; i < AdditionalHeaders.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(';');
            }

            builder.Append(AdditionalHeaders[i]);
        }

        builder.Append('\n');
        builder.Append(HashedPayload);
    }

    private void AppendCanonicalUri(ref PooledCharBuilder builder)
    {
        // §1.5: "/" + bucket + "/" + raw key, encoded as one string with "/" kept; no dot-segment removal.
        builder.Append('/');
        if (Bucket is not null)
        {
            OssUriEncoding.AppendPath(ref builder, Bucket);
            builder.Append('/');
        }

        if (Key is not null)
        {
            OssUriEncoding.AppendPath(ref builder, Key);
        }
    }

    private static KeyValuePair<string, string>[] EncodeAndSortParameters(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        // Names are encoded now because the sort is on the encoded name (§1.6 rule 2); values are encoded as they
        // are written. Duplicate names keep every value, ordered by (name, value) like the Python SDK: what OSS does
        // with them is UNCERTAIN (§1.6 rule 4), and the presign API never emits them.
        var encoded = parameters is ICollection<KeyValuePair<string, string>> { Count: 0 } ? [] : parameters.ToArray();
        for (var i = 0; i < encoded.Length; i++)
        {
            encoded[i] = new(OssUriEncoding.EncodeQueryComponent(encoded[i].Key), encoded[i].Value ?? string.Empty);
        }

        Array.Sort(encoded, static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Key, b.Key);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });
        return encoded;
    }

    private static KeyValuePair<string, string>[] SelectSignedHeaders(
        IEnumerable<KeyValuePair<string, string>> headers, IReadOnlyList<string> additionalHeaders)
    {
        if (headers is ICollection<KeyValuePair<string, string>> { Count: 0 })
        {
            return [];
        }

        var selected = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in headers)
        {
            var lower = name.ToLowerInvariant();
            if (!IsSignedByDefault(lower) && !Contains(additionalHeaders, lower))
            {
                continue;
            }

            var trimmed = (value ?? string.Empty).Trim();
            var existing = selected.FindIndex(h => h.Key == lower);
            if (existing >= 0)
            {
                // A repeated header is signed once with its values joined by "," (Go SDK; HTTP list semantics).
                selected[existing] = new(lower, selected[existing].Value + "," + trimmed);
            }
            else
            {
                selected.Add(new(lower, trimmed));
            }
        }

        if (selected.Count == 0)
        {
            return [];
        }

        var array = selected.ToArray();
        Array.Sort(array, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return array;
    }

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
