using System.Net;
using System.Text.RegularExpressions;
using OssPresign.Signing;

namespace OssPresign.Endpoints;

/// <summary>How the bucket appears in a URL (OSS-V4.md §4).</summary>
public enum AddressingStyle
{
    /// <summary><c>bucket.endpoint/key</c>: the default.</summary>
    VirtualHosted,

    /// <summary><c>endpoint/bucket/key</c>: chosen, or forced by an IP endpoint.</summary>
    Path,

    /// <summary><c>custom-domain/key</c>: the bucket is only in the canonical URI.</summary>
    CName,
}

/// <summary>
/// The resolved endpoint of a client: scheme, authority and addressing style. Builds object URLs and, for header
/// signing, reads bucket and key back out of a request URL.
/// </summary>
public sealed partial class OssEndpoint
{
    private OssEndpoint(string scheme, string authority, string host, AddressingStyle style)
    {
        Scheme = scheme;
        Authority = authority;
        Host = host;
        Style = style;
    }

    /// <summary><c>http</c> or <c>https</c>.</summary>
    public string Scheme { get; }

    /// <summary>Host with a non-default port, e.g. <c>127.0.0.1:9000</c>.</summary>
    public string Authority { get; }

    /// <summary>The host name or address alone.</summary>
    public string Host { get; }

    /// <summary>The addressing style in force.</summary>
    public AddressingStyle Style { get; }

    /// <summary>Strips a leading <c>oss-</c> and checks the region is <c>[a-z0-9-]+</c> (OSS-V4.md §1.15, §4).</summary>
    /// <param name="region">The configured region.</param>
    /// <returns>The bare region id.</returns>
    /// <exception cref="ArgumentException">The region is empty or has other characters.</exception>
    public static string NormalizeRegion(string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        var bare = region.StartsWith("oss-", StringComparison.Ordinal) ? region[4..] : region;
        if (!RegionPattern().IsMatch(bare))
        {
            throw new ArgumentException(
                $"Region '{region}' is not valid: use the bare region id in lower case, such as 'cn-hangzhou'.", nameof(region));
        }

        return bare;
    }

    /// <summary>Resolves the endpoint of a set of options (OSS-V4.md §4).</summary>
    /// <param name="options">The client options.</param>
    /// <returns>The endpoint.</returns>
    public static OssEndpoint Resolve(OssClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var region = NormalizeRegion(options.Region);
        if (options.UseCName && options.Endpoint is null)
        {
            // The SDKs would address the region's endpoint with the key alone: a URL that names no bucket.
            throw new ArgumentException("UseCName needs Endpoint, the custom domain bound to the bucket.", nameof(options));
        }

        var endpoint = options.Endpoint ?? new Uri("https://" + DefaultHost(region, options), UriKind.Absolute);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"Endpoint '{endpoint}' must be an absolute http or https URL.", nameof(options));
        }

        if (endpoint.AbsolutePath != "/" || !string.IsNullOrEmpty(endpoint.Query))
        {
            throw new ArgumentException($"Endpoint '{endpoint}' must not have a path or query: give only scheme, host and port.", nameof(options));
        }

        // CNAME wins over path-style; an IP host forces path-style over both (OSS-V4.md §4).
        var style = endpoint.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || IPAddress.TryParse(endpoint.Host, out _)
            ? AddressingStyle.Path
            : options.UseCName ? AddressingStyle.CName
            : options.UsePathStyle ? AddressingStyle.Path
            : AddressingStyle.VirtualHosted;
        return new OssEndpoint(endpoint.Scheme, endpoint.Authority, endpoint.Host, style);
    }

    /// <summary>Builds the URL of an object (or bucket, when <paramref name="key"/> is null).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The raw object key, or null.</param>
    /// <param name="encodedQuery">The encoded query without <c>?</c>, or empty.</param>
    /// <returns>The URL, as a string so that <see cref="Uri"/> cannot rewrite dot segments (OSS-V4.md §1.17).</returns>
    public string BuildUrl(string bucket, string? key, string encodedQuery)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        ArgumentNullException.ThrowIfNull(encodedQuery);
        var builder = new PooledCharBuilder(128 + encodedQuery.Length);
        try
        {
            AppendObjectUrl(ref builder, bucket, key);
            if (encodedQuery.Length > 0)
            {
                builder.Append('?');
                builder.Append(encodedQuery);
            }

            return builder.ToString();
        }
        finally
        {
            builder.Dispose();
        }
    }

    /// <summary>Writes <c>scheme://host/path</c> of an object, the key encoded as in the canonical URI.</summary>
    internal void AppendObjectUrl(ref PooledCharBuilder builder, string bucket, string? key)
    {
        AppendObjectUrlPrefix(ref builder, bucket);
        if (key is not null)
        {
            OssUriEncoding.AppendPath(ref builder, key);
        }
    }

    /// <summary>Writes <c>scheme://host/</c> of an object URL, with the bucket where the style puts it; the encoded key follows.</summary>
    internal void AppendObjectUrlPrefix(ref PooledCharBuilder builder, string bucket)
    {
        builder.Append(Scheme);
        builder.Append("://");
        if (Style == AddressingStyle.VirtualHosted)
        {
            builder.Append(bucket);
            builder.Append('.');
        }

        builder.Append(Authority);
        builder.Append('/');
        if (Style == AddressingStyle.Path)
        {
            builder.Append(bucket);
            builder.Append('/');
        }
    }

    /// <summary>
    /// Reads bucket and key back from a request URL built for this endpoint. With a CNAME endpoint the bucket is not in
    /// the URL, so <paramref name="cnameBucket"/> supplies it.
    /// </summary>
    /// <param name="url">The request URL.</param>
    /// <param name="cnameBucket">The bucket bound to the custom domain, for CNAME endpoints.</param>
    /// <param name="bucket">The bucket, or null for service-level requests.</param>
    /// <param name="key">The decoded key, or null for bucket-level requests.</param>
    /// <returns>Whether the URL could be read.</returns>
    public bool TryReadBucketAndKey(Uri url, string? cnameBucket, out string? bucket, out string? key)
    {
        ArgumentNullException.ThrowIfNull(url);
        bucket = null;
        key = null;
        // Uri.AbsolutePath, the escaped path: GetComponents would throw for a Uri made with
        // DangerousDisablePathAndQueryCanonicalization, the only Uri that keeps a key's ./ and ../ segments.
        var path = url.AbsolutePath;
        if (!OssUriEncoding.TryDecode(path.StartsWith('/') ? path[1..] : path, out var decodedPath))
        {
            return false;
        }

        switch (Style)
        {
            case AddressingStyle.Path:
                var slash = decodedPath.IndexOf('/', StringComparison.Ordinal);
                bucket = slash < 0 ? decodedPath : decodedPath[..slash];
                key = slash < 0 ? null : decodedPath[(slash + 1)..];
                break;
            case AddressingStyle.CName:
                bucket = cnameBucket;
                key = decodedPath;
                break;
            default:
                var suffix = "." + Host;
                bucket = url.Host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? url.Host[..^suffix.Length] : null;
                key = decodedPath;
                break;
        }

        bucket = string.IsNullOrEmpty(bucket) ? null : bucket;
        key = string.IsNullOrEmpty(key) ? null : key;
        return bucket is not null || key is null;
    }

    private static string DefaultHost(string region, OssClientOptions options) =>
        // Dual-stack > internal > accelerate, as the C# SDK orders them (OSS-V4.md §4).
        options.UseDualStackEndpoint ? $"{region}.oss.aliyuncs.com"
        : options.UseInternalEndpoint ? $"oss-{region}-internal.aliyuncs.com"
        : options.UseAccelerateEndpoint ? "oss-accelerate.aliyuncs.com"
        : $"oss-{region}.aliyuncs.com";

    [GeneratedRegex("^[a-z0-9-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();
}
