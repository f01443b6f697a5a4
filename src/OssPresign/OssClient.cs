using System.Globalization;
using OssPresign.Endpoints;
using OssPresign.Signing;

namespace OssPresign;

/// <summary>
/// Presigns OSS object operations with Signature V4. Immutable and thread-safe: create one and share it.
/// </summary>
public sealed class OssClient
{
    private readonly string _region;
    private readonly string _product;
    private readonly string[] _additionalHeaders;
    private readonly ICredentialsProvider _credentials;
    private readonly TimeProvider _time;

    private ScopeOfDay? _lastScope;

    /// <summary>Creates a client from a snapshot of <paramref name="options"/>.</summary>
    /// <param name="options">Region, endpoint, credentials and clock.</param>
    /// <exception cref="ArgumentException">The region or endpoint is not valid.</exception>
    public OssClient(OssClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.CredentialsProvider);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Product);
        _region = OssEndpoint.NormalizeRegion(options.Region);
        Endpoint = OssEndpoint.Resolve(options);
        _product = options.Product;
        _additionalHeaders = [.. options.AdditionalHeaders ?? []];
        _credentials = options.CredentialsProvider;
        _time = options.TimeProvider;
    }

    /// <summary>The resolved endpoint and addressing style.</summary>
    public OssEndpoint Endpoint { get; }

    /// <summary>The region in the signature scope (without <c>oss-</c>).</summary>
    public string Region => _region;

    /// <summary>
    /// Presigns an operation: returns a URL that anyone can use, without credentials, until it expires, as long as
    /// the request carries exactly <see cref="PresignResult.SignedHeaders"/>.
    /// </summary>
    /// <param name="request">The operation: <see cref="PutObjectRequest"/>, <see cref="GetObjectRequest"/>, ...</param>
    /// <param name="options">The validity; default 15 minutes.</param>
    /// <param name="cancellationToken">Cancels the credentials lookup.</param>
    /// <returns>Method, URL, expiration and the headers the request must send.</returns>
    /// <exception cref="ArgumentException">The bucket or key is not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The validity is not positive or exceeds 604800 s (seven days).</exception>
    public async ValueTask<PresignResult> PresignAsync(OssObjectRequest request, PresignOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        OssNames.ThrowIfInvalid(request.Bucket, request.Key);

        // Go SDK behaviour (OSS-V4.md §1.13): both instants in whole seconds, then subtract.
        var now = TruncateToSeconds(_time.GetUtcNow());
        var expiration = ResolveExpiration(now, options);
        request.Validate();
        if (request.Parameters.Count > 0)
        {
            foreach (var parameter in request.Parameters)
            {
                if (PresignedQuery.IsAuthParameter(parameter.Key))
                {
                    throw new ArgumentException(
                        $"Parameter '{parameter.Key}' is set by the signer; remove it from Parameters.", nameof(request));
                }
            }
        }

        var credentials = await _credentials.GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        return Presign(request, credentials, now, expiration);
    }

    private PresignResult Presign(OssObjectRequest request, OssCredentials? credentials, DateTimeOffset now, DateTimeOffset expiration)
    {
        var parts = default(RequestParts);
        var canonicalParameters = default(PooledPairList);
        var canonicalHeaders = default(PooledPairList);
        try
        {
            request.Contribute(ref parts);
            parts.Extra(request.Headers, request.Parameters);
            if (credentials is null)
            {
                // Anonymous: an unsigned URL for a public bucket; nothing is signed, so nothing is required.
                var unsignedUrl = BuildUrl(request.Bucket, request.Key, parts.Parameters.Items, []);
                return new PresignResult(request.Method, unsignedUrl, expiration, SignedHeaderDictionary.Empty);
            }

            var additional = ResolveAdditionalHeaders(parts.Headers.Items);
            var credential = GetCredentialScope(credentials.AccessKeyId, now);
            PresignedQuery.AddParameters(
                ref parts.Parameters, additional.Count > 0 ? string.Join(';', additional) : null, credential, OssV4.FormatDateTime(now),
                ((long)(expiration - now).TotalSeconds).ToString(CultureInfo.InvariantCulture), credentials.SecurityToken, signature: null);

            // The canonical request sorts a copy: the URL keeps the parameters in the order they were added.
            foreach (var (name, value) in parts.Parameters.Items)
            {
                canonicalParameters.Add(name, value);
            }

            CanonicalRequest.EncodeAndSortParameters(canonicalParameters.Items);
            CanonicalRequest.SelectSignedHeaders(parts.Headers.Items, additional, ref canonicalHeaders);
            var canonical = new CanonicalFields(
                request.Method, request.Bucket, request.Key, canonicalParameters.Items, canonicalHeaders.Items, additional, OssV4.UnsignedPayload);
            Span<char> signature = stackalloc char[OssV4Signer.SignatureLength];
            OssV4Signer.WriteSignature(canonical, now, credential, credentials.AccessKeySecret, signature);
            var url = BuildUrl(request.Bucket, request.Key, parts.Parameters.Items, signature);
            return new PresignResult(request.Method, url, expiration, SelectResultHeaders(parts.Headers.Items, additional));
        }
        finally
        {
            parts.Dispose();
            canonicalParameters.Dispose();
            canonicalHeaders.Dispose();
        }
    }

    private IReadOnlyList<string> ResolveAdditionalHeaders(ReadOnlySpan<KeyValuePair<string, string>> headers)
    {
        if (_additionalHeaders.Length == 0)
        {
            return [];
        }

        // The predicate cannot see the pooled span, so it gets a list of the names; only when additional headers are configured.
        var present = new List<string>(headers.Length);
        foreach (var (name, value) in headers)
        {
            if (value.Length > 0)
            {
                present.Add(name);
            }
        }

        return CanonicalRequest.ResolveAdditionalHeaders(
            _additionalHeaders, name => present.Exists(h => h.Equals(name, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// The headers the caller must send, with the names as given: the default signed set and the additional headers.
    /// A repeated name (in any case) keeps its first spelling and its last value.
    /// </summary>
    private static SignedHeaderDictionary SelectResultHeaders(
        ReadOnlySpan<KeyValuePair<string, string>> headers, IReadOnlyList<string> additional)
    {
        var selected = default(PooledPairList);
        try
        {
            foreach (var (name, value) in headers)
            {
                if (!CanonicalRequest.IsSigned(name, additional))
                {
                    continue;
                }

                var items = selected.Items;
                var existing = items.Length - 1;
                while (existing >= 0 && !items[existing].Key.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    existing--;
                }

                if (existing >= 0)
                {
                    items[existing] = new(items[existing].Key, value);
                }
                else
                {
                    selected.Add(name, value);
                }
            }

            return selected.Count == 0 ? SignedHeaderDictionary.Empty : new SignedHeaderDictionary(selected.Items.ToArray());
        }
        finally
        {
            selected.Dispose();
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static DateTimeOffset ResolveExpiration(DateTimeOffset now, PresignOptions? options)
    {
        DateTimeOffset expiration;
        if (options?.Expiration is { } absolute)
        {
            expiration = TruncateToSeconds(absolute);
            if (expiration <= now)
            {
                throw new ArgumentOutOfRangeException(nameof(options),
                    $"Expiration {absolute:O} is not after the signing time {now:O}; choose a time in the future.");
            }
        }
        else
        {
            var expires = options?.Expires ?? OssV4.DefaultExpires;
            if (expires < TimeSpan.FromSeconds(1))
            {
                throw new ArgumentOutOfRangeException(nameof(options), $"Expires must be at least 1 second; it is {expires}.");
            }

            expiration = TruncateToSeconds(now + expires);
        }

        if ((expiration - now).TotalSeconds > OssV4.MaxExpiresSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"A presigned URL is valid for at most {OssV4.MaxExpiresSeconds} seconds (seven days); " +
                $"the requested validity is {(long)(expiration - now).TotalSeconds} seconds.");
        }

        return expiration;
    }

    /// <summary>
    /// Writes the URL in one pass: the parameters in order, and the signature just before
    /// <c>x-oss-signature-version</c>, which gives the auth block Go's order (sorted by name) as OSS-V4.md §6.3 shows.
    /// </summary>
    private string BuildUrl(string bucket, string key, ReadOnlySpan<KeyValuePair<string, string>> parameters, scoped ReadOnlySpan<char> signature)
    {
        var builder = new PooledCharBuilder(512);
        try
        {
            Endpoint.AppendObjectUrl(ref builder, bucket, key);
            var separator = '?';
            foreach (var (name, value) in parameters)
            {
                if (!signature.IsEmpty && string.Equals(name, PresignedQuery.SignatureVersionParameter, StringComparison.Ordinal))
                {
                    builder.Append('&');
                    builder.Append(PresignedQuery.SignatureParameter);
                    builder.Append('=');
                    builder.Append(signature);
                }

                builder.Append(separator);
                separator = '&';
                OssUriEncoding.AppendQueryComponent(ref builder, name);
                if (value.Length > 0)
                {
                    // A key-only parameter is written bare ("uploads"), as the C# SDK does; OSS treats "k" and "k=" alike.
                    builder.Append('=');
                    OssUriEncoding.AppendQueryComponent(ref builder, value);
                }
            }

            return builder.ToString();
        }
        finally
        {
            builder.Dispose();
        }
    }

    private CredentialScope GetCredentialScope(string accessKeyId, DateTimeOffset now)
    {
        // One scope per key and UTC day: reuse the last one rather than format the same credential on every presign.
        var day = now.UtcTicks / TimeSpan.TicksPerDay;
        var last = _lastScope;
        if (last is not null && last.Day == day && string.Equals(last.Scope.AccessKeyId, accessKeyId, StringComparison.Ordinal))
        {
            return last.Scope;
        }

        var scope = new CredentialScope(accessKeyId, OssV4.FormatDate(now), _region, _product);
        _lastScope = new ScopeOfDay(scope, day);
        return scope;
    }

    private sealed record ScopeOfDay(CredentialScope Scope, long Day);
}
