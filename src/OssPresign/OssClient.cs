using System.Text;
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
        var parts = new RequestParts();
        request.Contribute(parts);
        foreach (var header in request.Headers)
        {
            parts.Headers.Add(header);
        }

        foreach (var parameter in request.Parameters)
        {
            parts.Parameters.Add(parameter);
        }

        var credentials = await _credentials.GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        if (credentials is null)
        {
            // Anonymous: an unsigned URL for a public bucket; nothing is signed, so nothing is required.
            var unsigned = Endpoint.BuildUrl(request.Bucket, request.Key, EncodeQuery(parts.Parameters));
            return new PresignResult(request.Method, unsigned, expiration, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));
        }

        var additional = CanonicalRequest.ResolveAdditionalHeaders(
            _additionalHeaders, name => parts.Headers.Exists(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase) && h.Value.Length > 0));
        var credential = new CredentialScope(credentials.AccessKeyId, OssV4.FormatDate(now), _region, _product);
        var auth = new PresignedQuery
        {
            Credential = credential,
            SigningTime = now,
            ExpiresSeconds = (long)(expiration - now).TotalSeconds,
            AdditionalHeaders = additional,
            SecurityToken = credentials.SecurityToken,
        };
        var signedParameters = parts.Parameters.Concat(auth.ToParameters(includeSignature: false)).ToList();
        var canonical = new CanonicalRequest(request.Method, request.Bucket, request.Key, signedParameters, parts.Headers, additional);
        var signature = OssV4Signer.ComputeSignature(canonical, now, credential, credentials.AccessKeySecret);
        // The URL carries the auth block in Go's order (sorted by name, signature in place), as OSS-V4.md §6.3 shows.
        var urlParameters = parts.Parameters.Concat(auth.WithSignature(signature).ToParameters(includeSignature: true));
        var url = Endpoint.BuildUrl(request.Bucket, request.Key, EncodeQuery(urlParameters));

        var signedHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in parts.Headers)
        {
            if (CanonicalRequest.IsSignedByDefault(name) || additional.Contains(name.ToLowerInvariant()))
            {
                signedHeaders[name] = value;
            }
        }

        return new PresignResult(request.Method, url, expiration, signedHeaders);
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

    private static string EncodeQuery(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var builder = new StringBuilder(512);
        foreach (var (name, value) in parameters)
        {
            AppendParameter(builder, name, value);
        }

        return builder.ToString();
    }

    private static void AppendParameter(StringBuilder builder, string name, string value)
    {
        if (builder.Length > 0)
        {
            builder.Append('&');
        }

        builder.Append(OssUriEncoding.EncodeQueryComponent(name));
        if (value.Length > 0)
        {
            // A key-only parameter is written bare ("uploads"), as the C# SDK does; OSS treats "k" and "k=" alike.
            builder.Append('=').Append(OssUriEncoding.EncodeQueryComponent(value));
        }
    }
}
