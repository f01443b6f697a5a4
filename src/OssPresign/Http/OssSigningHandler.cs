using System.Net.Http.Headers;
using OssPresign.Endpoints;
using OssPresign.Signing;

namespace OssPresign.Http;

/// <summary>
/// Signs outgoing <see cref="HttpRequestMessage"/>s with the V4 Authorization header (OSS-V4.md §1.12, §1.14), so a
/// plain <see cref="HttpClient"/> can call OSS (or the local server) with credentials.
/// </summary>
/// <remarks>
/// Bucket and key are read back from the request URL with the client's addressing style. For a CNAME endpoint the
/// bucket is not in the URL: set it with <c>request.Options.Set(OssSigningHandler.BucketOption, "bucket")</c>.
/// Keys with <c>./</c> or <c>../</c> segments need a <see cref="Uri"/> created with
/// <see cref="UriCreationOptions.DangerousDisablePathAndQueryCanonicalization"/>, or <see cref="Uri"/> rewrites them.
/// </remarks>
public sealed class OssSigningHandler : DelegatingHandler
{
    /// <summary>The bucket of a request to a CNAME endpoint.</summary>
    public static readonly HttpRequestOptionsKey<string> BucketOption = new("OssPresign.Bucket");

    private readonly OssEndpoint _endpoint;
    private readonly string _region;
    private readonly string _product;
    private readonly string[] _additionalHeaders;
    private readonly ICredentialsProvider _credentials;
    private readonly TimeProvider _time;

    /// <summary>Creates a handler that signs with the credentials, region and clock of <paramref name="options"/>.</summary>
    /// <param name="options">The client options.</param>
    /// <exception cref="ArgumentNullException">The options, or their credentials provider, clock or product, are null.</exception>
    /// <exception cref="ArgumentException">The region, endpoint or product is not valid.</exception>
    public OssSigningHandler(OssClientOptions options)
    {
        OssClientOptions.ThrowIfInvalid(options);
        _endpoint = OssEndpoint.Resolve(options);
        _region = OssEndpoint.NormalizeRegion(options.Region);
        _product = options.Product;
        _additionalHeaders = [.. options.AdditionalHeaders ?? []];
        _credentials = options.CredentialsProvider;
        _time = options.TimeProvider;
    }

    /// <summary>Creates a handler that forwards to <paramref name="innerHandler"/>.</summary>
    /// <param name="options">The client options.</param>
    /// <param name="innerHandler">The handler that sends the request.</param>
    public OssSigningHandler(OssClientOptions options, HttpMessageHandler innerHandler)
        : this(options) => InnerHandler = innerHandler;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var credentials = await _credentials.GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        if (credentials is not null)
        {
            Sign(request, credentials);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private void Sign(HttpRequestMessage request, OssCredentials credentials)
    {
        var url = request.RequestUri ?? throw new InvalidOperationException("The request has no RequestUri.");
        request.Options.TryGetValue(BucketOption, out var cnameBucket);
        if (!_endpoint.TryReadBucketAndKey(url, cnameBucket, out var bucket, out var key))
        {
            throw new InvalidOperationException(
                $"Cannot tell the bucket of '{url}' for a {_endpoint.Style} endpoint; set OssSigningHandler.BucketOption on the request.");
        }

        // §1.14: the signer sets these before canonicalizing; they are x-oss-*, so they are signed. Date is not signed.
        var now = _time.GetUtcNow();
        var headers = request.Headers;
        headers.Remove("Authorization");
        headers.Remove("x-oss-date");
        headers.Remove("x-oss-content-sha256");
        headers.Remove("x-oss-security-token");
        headers.Date = now;
        headers.TryAddWithoutValidation("x-oss-date", OssV4.FormatDateTime(now));
        headers.TryAddWithoutValidation("x-oss-content-sha256", OssV4.UnsignedPayload);
        if (credentials.SecurityToken is not null)
        {
            headers.TryAddWithoutValidation("x-oss-security-token", credentials.SecurityToken);
        }

        var allHeaders = ReadHeaders(request);
        var additional = CanonicalRequest.ResolveAdditionalHeaders(
            _additionalHeaders, name => allHeaders.Exists(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase) && h.Value.Length > 0));
        // Uri.Query, not GetComponents: the latter throws for a Uri made with DangerousDisablePathAndQueryCanonicalization,
        // which is how a key with ./ or ../ segments must be addressed (see remarks).
        if (!OssUriEncoding.TryDecodeQuery(url.Query.StartsWith('?') ? url.Query[1..] : url.Query, out var query, out var malformed))
        {
            throw new InvalidOperationException($"The query parameter '{malformed}' of '{url}' has a malformed percent escape.");
        }

        var canonical = new CanonicalRequest(request.Method.Method, bucket, key, query, allHeaders, additional);
        var credential = new CredentialScope(credentials.AccessKeyId, OssV4.FormatDate(now), _region, _product);
        var signature = OssV4Signer.ComputeSignature(canonical, now, credential, credentials.AccessKeySecret);
        headers.TryAddWithoutValidation("Authorization", new AuthorizationHeader(credential, additional, signature).ToString());
    }

    private static List<KeyValuePair<string, string>> ReadHeaders(HttpRequestMessage request)
    {
        var result = new List<KeyValuePair<string, string>>();
        Add(result, request.Headers);
        if (request.Content is { } content)
        {
            // Content-Length is computed lazily; reading it here makes it visible to an additional-header list.
            _ = content.Headers.ContentLength;
            Add(result, content.Headers);
        }

        if (request.Headers.Host is null && request.RequestUri is { } url)
        {
            result.Add(new("host", url.IsDefaultPort ? url.Host : url.Authority));
        }

        return result;

        static void Add(List<KeyValuePair<string, string>> list, HttpHeaders headers)
        {
            foreach (var (name, values) in headers.NonValidated)
            {
                list.Add(new(name, string.Join(',', values)));
            }
        }
    }
}
