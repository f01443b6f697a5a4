using System.Net;
using OssPresign.Endpoints;

namespace OssPresign.Signing;

/// <summary>
/// A V4 presigned URL read back from its string: where it points (scheme, host, bucket, key, addressing style), its
/// decoded query and its <see cref="PresignedQuery"/>. With the access key secret it recomputes the signature through
/// the same <see cref="Signing.CanonicalRequest"/> and <see cref="OssV4Signer"/> that signed it.
/// </summary>
/// <remarks>
/// The URL is split by hand rather than through <see cref="Uri"/>, which removes dot segments from paths and so would
/// read another key than the one signed (OSS-V4.md §1.17).
/// </remarks>
public sealed class PresignedUrl
{
    private PresignedUrl(
        string originalString,
        string scheme,
        string host,
        int port,
        string authority,
        string encodedPath,
        IReadOnlyList<KeyValuePair<string, string>> parameters,
        AddressingStyle style,
        string? bucket,
        string? key,
        PresignedQuery query)
    {
        OriginalString = originalString;
        Scheme = scheme;
        Host = host;
        Port = port;
        Authority = authority;
        EncodedPath = encodedPath;
        Parameters = parameters;
        Style = style;
        Bucket = bucket;
        Key = key;
        Query = query;
    }

    /// <summary>The URL as given.</summary>
    public string OriginalString { get; }

    /// <summary><c>http</c> or <c>https</c>, lower-case.</summary>
    public string Scheme { get; }

    /// <summary>The host name or address, without brackets or port.</summary>
    public string Host { get; }

    /// <summary>The port, explicit or the scheme's default.</summary>
    public int Port { get; }

    /// <summary>The host, with the port when it is not the scheme's default: the value of the Host header.</summary>
    public string Authority { get; }

    /// <summary>The path as it appears in the URL, still percent-encoded.</summary>
    public string EncodedPath { get; }

    /// <summary>Every query parameter, decoded, in URL order (<c>x-oss-signature</c> included).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; }

    /// <summary>How the bucket appears in the URL.</summary>
    public AddressingStyle Style { get; }

    /// <summary>The bucket; null for a custom domain (<see cref="AddressingStyle.CName"/>) when it was not supplied.</summary>
    public string? Bucket { get; }

    /// <summary>The decoded object key, or null for a bucket-level URL.</summary>
    public string? Key { get; }

    /// <summary>The V4 presign parameters: credential, signing time, validity, additional headers, token, signature.</summary>
    public PresignedQuery Query { get; }

    /// <summary>The region of the signature scope.</summary>
    public string Region => Query.Credential.Region;

    /// <summary>When the URL stops working: <c>x-oss-date + x-oss-expires</c>, by the server's clock.</summary>
    public DateTimeOffset ExpiresOn => Query.ExpiresOn;

    /// <summary>Whether the URL has expired at <paramref name="now"/>.</summary>
    /// <param name="now">The current time, from a <see cref="TimeProvider"/>.</param>
    /// <returns>True at or after <see cref="ExpiresOn"/>.</returns>
    public bool IsExpiredAt(DateTimeOffset now) => now >= ExpiresOn;

    /// <summary>Parses a presigned URL, reading the addressing style from the host (see <see cref="TryParse(string, AddressingStyle?, string?, out PresignedUrl?, out string?)"/>).</summary>
    /// <param name="url">The URL string.</param>
    /// <param name="result">The parsed URL, when it is a well-formed V4 presigned URL.</param>
    /// <param name="error">A sentence saying what is wrong, when not.</param>
    /// <returns>Whether <paramref name="url"/> is a well-formed V4 presigned URL.</returns>
    public static bool TryParse(string? url, out PresignedUrl? result, out string? error) =>
        TryParse(url, style: null, customDomainBucket: null, out result, out error);

    /// <summary>
    /// Parses a presigned URL. Without <paramref name="style"/> the style is read from the host: an IP address or
    /// <c>localhost</c> is path-style; an <c>aliyuncs.com</c> host is virtual-hosted when it has a bucket label in front
    /// of the endpoint (<c>bucket.oss-cn-hangzhou.aliyuncs.com</c>) and path-style when not; <c>bucket.localhost</c> is
    /// virtual-hosted; any other host is taken as a custom domain (CNAME), whose bucket only
    /// <paramref name="customDomainBucket"/> can tell.
    /// </summary>
    /// <param name="url">The URL string.</param>
    /// <param name="style">The addressing style, when known; null to read it from the host.</param>
    /// <param name="customDomainBucket">The bucket bound to a custom domain, for CNAME URLs.</param>
    /// <param name="result">The parsed URL, when it is a well-formed V4 presigned URL.</param>
    /// <param name="error">A sentence saying what is wrong, when not.</param>
    /// <returns>Whether <paramref name="url"/> is a well-formed V4 presigned URL.</returns>
    public static bool TryParse(string? url, AddressingStyle? style, string? customDomainBucket, out PresignedUrl? result, out string? error)
    {
        result = null;
        if (!TrySplit(url, out var scheme, out var authorityText, out var encodedPath, out var encodedQuery, out error))
        {
            return false;
        }

        if (!Uri.TryCreate($"{scheme}://{authorityText}/", UriKind.Absolute, out var authorityUri) || authorityUri.Host.Length == 0)
        {
            error = $"'{authorityText}' is not a valid host.";
            return false;
        }

        if (!OssUriEncoding.TryDecodeQuery(encodedQuery, out var parameters, out var malformed))
        {
            error = $"The query parameter '{malformed}' has a malformed percent escape or is not UTF-8.";
            return false;
        }

        if (!PresignedQuery.IsPresent(parameters))
        {
            error = DescribeOtherSignature(parameters);
            return false;
        }

        if (!PresignedQuery.TryParse(parameters, out var query, out var failure))
        {
            error = failure!.Message;
            return false;
        }

        if (!OssUriEncoding.TryDecode(encodedPath.AsSpan(1), out var decodedPath))
        {
            error = "The path has a malformed percent escape or is not UTF-8.";
            return false;
        }

        var host = authorityUri.IdnHost.Trim('[', ']');
        var resolvedStyle = style ?? DetectStyle(authorityUri, out _);
        string? bucket;
        string? key;
        switch (resolvedStyle)
        {
            case AddressingStyle.Path:
                // Split before decoding, as the server does (OssRequestTarget): an encoded '/' stays inside the bucket
                // segment, so "/bucket%2Fkey" names the bucket "bucket/key" (refused) and never bucket + key.
                var rawPath = encodedPath.AsSpan(1);
                var slash = rawPath.IndexOf('/');
                if (!OssUriEncoding.TryDecode(slash < 0 ? rawPath : rawPath[..slash], out var decodedBucket)
                    || !OssUriEncoding.TryDecode(slash < 0 ? [] : rawPath[(slash + 1)..], out var decodedKey))
                {
                    error = "The path has a malformed percent escape or is not UTF-8.";
                    return false;
                }

                bucket = decodedBucket;
                key = slash < 0 ? null : decodedKey;
                break;
            case AddressingStyle.VirtualHosted:
                var dot = host.IndexOf('.', StringComparison.Ordinal);
                bucket = dot <= 0 ? null : host[..dot];
                key = decodedPath;
                break;
            default:
                bucket = customDomainBucket;
                key = decodedPath;
                break;
        }

        bucket = string.IsNullOrEmpty(bucket) ? null : bucket;
        key = string.IsNullOrEmpty(key) ? null : key;
        if (resolvedStyle != AddressingStyle.CName && bucket is null)
        {
            error = resolvedStyle == AddressingStyle.Path
                ? "The path has no bucket: a path-style URL looks like http://host/bucket/key."
                : "The host has no bucket label: a virtual-hosted URL looks like https://bucket.oss-region.aliyuncs.com/key.";
            return false;
        }

        if (bucket is not null && !OssNames.IsValidBucketName(bucket))
        {
            // As the server, which refuses the name before the signature (InvalidBucketName). '/' is not encoded in the
            // canonical URI, so "/bucket%2Fa/b" would otherwise verify as bucket "bucket/a" signed as bucket "bucket".
            error = $"'{bucket}' is not a valid bucket name: 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.";
            return false;
        }

        result = new PresignedUrl(url!, scheme, host, authorityUri.Port, authorityUri.IsDefaultPort ? host : authorityUri.Authority,
            encodedPath, parameters, resolvedStyle, bucket, key, query!);
        return true;
    }

    /// <summary>Parses a presigned URL, reading the addressing style from the host.</summary>
    /// <param name="url">The URL string.</param>
    /// <returns>The parsed URL.</returns>
    /// <exception cref="FormatException">The URL is not a well-formed V4 presigned URL; the message says why.</exception>
    public static PresignedUrl Parse(string url) =>
        TryParse(url, out var result, out var error) ? result! : throw new FormatException(error);

    /// <summary>
    /// Rebuilds the canonical request that the server will compute for a request to this URL.
    /// </summary>
    /// <param name="method">The HTTP method of the request (the URL does not say which one was signed).</param>
    /// <param name="headers">
    /// The headers the request will carry. A <c>host</c> header is added from <see cref="Authority"/> when the URL
    /// signs <c>host</c> and the headers lack it, as an HTTP client would send it.
    /// </param>
    /// <returns>The canonical request.</returns>
    /// <exception cref="InvalidOperationException">The bucket of a custom-domain URL is unknown.</exception>
    public CanonicalRequest CreateCanonicalRequest(string method, IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(headers);
        if (Bucket is null)
        {
            throw new InvalidOperationException(
                $"The bucket of the custom-domain URL '{Host}' is not in the URL; give it when parsing to rebuild the signature.");
        }

        var all = headers.ToList();
        if (Query.AdditionalHeaders.Contains("host") && !all.Exists(h => h.Key.Equals("host", StringComparison.OrdinalIgnoreCase)))
        {
            all.Add(new("host", Authority));
        }

        var signedParameters = Parameters.Where(p => p.Key != PresignedQuery.SignatureParameter);
        return new CanonicalRequest(method, Bucket, Key, signedParameters, all, Query.AdditionalHeaders);
    }

    /// <summary>
    /// Recomputes the signature of a request to this URL with <paramref name="accessKeySecret"/> and compares it with
    /// <c>x-oss-signature</c>. Checks the signature only, not the expiry.
    /// </summary>
    /// <param name="method">The HTTP method of the request.</param>
    /// <param name="headers">The headers the request will carry.</param>
    /// <param name="accessKeySecret">The secret of the URL's access key id.</param>
    /// <returns>Whether it matches, with the canonical request and string to sign (which never contain the secret).</returns>
    /// <exception cref="InvalidOperationException">The bucket of a custom-domain URL is unknown.</exception>
    public PresignedUrlVerification Verify(string method, IEnumerable<KeyValuePair<string, string>> headers, string accessKeySecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKeySecret);
        var canonical = CreateCanonicalRequest(method, headers);
        var signature = OssV4Signer.ComputeSignature(canonical, Query.SigningTime, Query.Credential, accessKeySecret);
        var valid = OssV4Signer.SignaturesEqual(signature, Query.Signature ?? string.Empty);
        return new PresignedUrlVerification(
            valid, canonical.Method, canonical.ToString(), OssV4Signer.BuildStringToSign(canonical, Query.SigningTime, Query.Credential));
    }

    /// <summary>Reads the addressing style a host implies (the rules of <see cref="TryParse(string, AddressingStyle?, string?, out PresignedUrl?, out string?)"/>).</summary>
    /// <param name="host">A URL whose host is examined.</param>
    /// <param name="isOssHost">Whether the host is an Alibaba Cloud OSS endpoint (<c>*.aliyuncs.com</c>).</param>
    /// <returns>The style.</returns>
    public static AddressingStyle DetectStyle(Uri host, out bool isOssHost)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = host.IdnHost.Trim('[', ']');
        isOssHost = name.EndsWith(".aliyuncs.com", StringComparison.OrdinalIgnoreCase);
        if (host.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || IPAddress.TryParse(name, out _)
            || name.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return AddressingStyle.Path;
        }

        if (name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return AddressingStyle.VirtualHosted;
        }

        if (!isOssHost)
        {
            return AddressingStyle.CName;
        }

        // Endpoints without a bucket label: oss-REGION[-internal].aliyuncs.com, oss-accelerate[-overseas].aliyuncs.com
        // and the dual-stack REGION.oss.aliyuncs.com (OSS-V4.md §4).
        var labels = name.Split('.');
        var isBareEndpoint = labels[0].StartsWith("oss-", StringComparison.OrdinalIgnoreCase)
            || (labels.Length == 4 && labels[1].Equals("oss", StringComparison.OrdinalIgnoreCase));
        return isBareEndpoint ? AddressingStyle.Path : AddressingStyle.VirtualHosted;
    }

    private static bool TrySplit(string? url, out string scheme, out string authority, out string encodedPath, out string encodedQuery, out string? error)
    {
        scheme = authority = encodedPath = encodedQuery = string.Empty;
        if (string.IsNullOrWhiteSpace(url))
        {
            error = "The URL is empty.";
            return false;
        }

        var text = url.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            error = "The URL has no scheme: it must start with http:// or https://.";
            return false;
        }

        scheme = text[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            error = $"The URL's scheme is '{scheme}'; a presigned OSS URL is http or https.";
            return false;
        }

        var rest = text[(schemeEnd + 3)..];
        var fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        var pathStart = rest.IndexOfAny(['/', '?']);
        authority = pathStart < 0 ? rest : rest[..pathStart];
        var pathAndQuery = pathStart < 0 ? string.Empty : rest[pathStart..];
        var queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        encodedPath = queryStart < 0 ? pathAndQuery : pathAndQuery[..queryStart];
        encodedQuery = queryStart < 0 ? string.Empty : pathAndQuery[(queryStart + 1)..];
        if (encodedPath.Length == 0)
        {
            encodedPath = "/";
        }

        if (authority.Length == 0 || authority.Contains('@', StringComparison.Ordinal))
        {
            error = authority.Length == 0 ? "The URL has no host." : "The URL carries user information before the host; OSS URLs do not.";
            return false;
        }

        if (encodedQuery.Length == 0)
        {
            error = "The URL has no query string, so it carries no signature: it is not a presigned URL.";
            return false;
        }

        error = null;
        return true;
    }

    private static string DescribeOtherSignature(IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        bool Has(string name) => parameters.Any(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (Has("OSSAccessKeyId") || (Has("Signature") && Has("Expires")))
        {
            return "This is an OSS V1 presigned URL (OSSAccessKeyId, Expires, Signature); only V4 URLs " +
                $"(x-oss-signature-version={OssV4.Algorithm}) can be decoded.";
        }

        return Has("X-Amz-Signature") || Has("X-Amz-Credential")
            ? "This is an S3 (AWS SigV4) presigned URL, not an OSS one."
            : "The URL has no x-oss-signature-version, x-oss-credential or x-oss-signature parameter: it is not an OSS V4 presigned URL.";
    }
}

/// <summary>The outcome of <see cref="PresignedUrl.Verify"/>.</summary>
/// <param name="IsValid">Whether the recomputed signature equals <c>x-oss-signature</c>.</param>
/// <param name="Method">The upper-case method that was checked.</param>
/// <param name="CanonicalRequest">The canonical request, as the server rebuilds it for that request.</param>
/// <param name="StringToSign">The string to sign.</param>
public sealed record PresignedUrlVerification(bool IsValid, string Method, string CanonicalRequest, string StringToSign);
