using Microsoft.AspNetCore.Http.Features;
using OssPresign.Signing;

namespace OssPresign.Server.Auth;

/// <summary>
/// What a request addresses: bucket, key and decoded query, read from the raw request target and the Host header.
/// </summary>
/// <remarks>
/// ASP.NET's <see cref="HttpRequest.Path"/> is already decoded and has dot segments removed, so <c>a/../b</c> would
/// address (and sign) another key. The raw target is decoded here with the signer's own decoder instead, so the key
/// the server stores is the key the client signed (OSS-V4.md §1.5, §1.17).
/// </remarks>
/// <param name="Bucket">The bucket, or null for service-level requests.</param>
/// <param name="Key">The decoded key, or null for bucket-level requests.</param>
/// <param name="Query">Every query parameter, decoded, in request order; a bare name has an empty value.</param>
/// <param name="VirtualHosted">Whether the bucket came from the Host header.</param>
internal sealed record OssRequestTarget(string? Bucket, string? Key, IReadOnlyList<KeyValuePair<string, string>> Query, bool VirtualHosted)
{
    /// <summary>The suffix of virtual-hosted names: <c>bucket.localhost</c>.</summary>
    public const string VirtualHostSuffix = ".localhost";

    /// <summary>The first value of a query parameter, or null.</summary>
    public string? GetQuery(string name)
    {
        foreach (var (n, v) in Query)
        {
            if (n == name)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Whether the query has a parameter.</summary>
    public bool HasQuery(string name) => GetQuery(name) is not null;

    /// <summary>Reads the target of a request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="target">The target, when the request line could be read.</param>
    /// <returns>False when a percent escape is malformed or decodes to invalid UTF-8.</returns>
    public static bool TryRead(HttpRequest request, out OssRequestTarget? target)
    {
        target = null;
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            raw = request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        }

        // Absolute-form ("GET http://host/path HTTP/1.1", as proxies send) carries the path after the authority.
        if (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var authorityStart = raw.IndexOf("://", StringComparison.Ordinal) + 3;
            var pathStart = raw.IndexOfAny(['/', '?'], authorityStart);
            raw = pathStart < 0 ? "/" : raw[pathStart..];
        }

        var question = raw.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? raw : raw[..question];
        var rawQuery = question < 0 ? string.Empty : raw[(question + 1)..];
        if (!rawPath.StartsWith('/'))
        {
            rawPath = "/" + rawPath;
        }

        if (!OssUriEncoding.TryDecodeQuery(rawQuery, out var query, out _))
        {
            return false;
        }

        var host = request.Host.Host;
        string? bucket;
        string? key;
        var virtualHosted = host.EndsWith(VirtualHostSuffix, StringComparison.OrdinalIgnoreCase) && host.Length > VirtualHostSuffix.Length;
        if (virtualHosted)
        {
            bucket = host[..^VirtualHostSuffix.Length].ToLowerInvariant();
            if (!OssUriEncoding.TryDecode(rawPath.AsSpan(1), out var decodedKey))
            {
                return false;
            }

            key = decodedKey;
        }
        else
        {
            // Path-style: /bucket/key. Split before decoding, so an encoded '/' stays inside the key.
            var afterSlash = rawPath.AsSpan(1);
            var slash = afterSlash.IndexOf('/');
            var rawBucket = slash < 0 ? afterSlash : afterSlash[..slash];
            var rawKey = slash < 0 ? [] : afterSlash[(slash + 1)..];
            if (!OssUriEncoding.TryDecode(rawBucket, out var decodedBucket) || !OssUriEncoding.TryDecode(rawKey, out var decodedKey))
            {
                return false;
            }

            bucket = decodedBucket;
            key = decodedKey;
        }

        target = new OssRequestTarget(
            string.IsNullOrEmpty(bucket) ? null : bucket,
            string.IsNullOrEmpty(key) ? null : key,
            query,
            virtualHosted);
        return true;
    }
}
