namespace OssPresign;

/// <summary>
/// How an <see cref="OssClient"/> reaches OSS and signs: region, endpoint, addressing style, credentials, clock.
/// The client takes a snapshot at construction, so changing the options afterwards does not affect it.
/// </summary>
public sealed class OssClientOptions
{
    /// <summary>
    /// The bucket's region, e.g. <c>cn-hangzhou</c>. A leading <c>oss-</c> is removed, as ali-oss does, because the
    /// signature scope must carry the bare region (OSS-V4.md §1.15).
    /// </summary>
    public required string Region { get; init; }

    /// <summary>
    /// The endpoint, e.g. <c>https://oss-cn-hangzhou.aliyuncs.com</c> or <c>http://127.0.0.1:9000</c>; when null it is
    /// built from <see cref="Region"/> and the endpoint flags (OSS-V4.md §4).
    /// </summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Where credentials come from. Default: the <c>OSS_ACCESS_KEY_*</c> environment variables.</summary>
    public ICredentialsProvider CredentialsProvider { get; init; } = new EnvironmentVariableCredentialsProvider();

    /// <summary>Put the bucket in the path (<c>host/bucket/key</c>) instead of the host name.</summary>
    public bool UsePathStyle { get; init; }

    /// <summary>The endpoint is a custom domain bound to the bucket: the URL carries only the key.</summary>
    public bool UseCName { get; init; }

    /// <summary>Use the internal (same-region VPC) endpoint <c>oss-REGION-internal.aliyuncs.com</c>.</summary>
    public bool UseInternalEndpoint { get; init; }

    /// <summary>Use the dual-stack (IPv4 and IPv6) endpoint <c>REGION.oss.aliyuncs.com</c>.</summary>
    public bool UseDualStackEndpoint { get; init; }

    /// <summary>Use the global transfer-acceleration endpoint <c>oss-accelerate.aliyuncs.com</c>.</summary>
    public bool UseAccelerateEndpoint { get; init; }

    /// <summary>
    /// Headers to sign besides the default set (e.g. <c>host</c>, <c>content-length</c>); signed only when the request
    /// carries them (OSS-V4.md §1.8).
    /// </summary>
    public IList<string> AdditionalHeaders { get; init; } = [];

    /// <summary>The product in the signature scope: <c>oss</c>, or <c>oss-cloudbox</c> for CloudBox.</summary>
    public string Product { get; init; } = Signing.OssV4.DefaultProduct;

    /// <summary>The clock that gives the signing time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The checks that <see cref="OssClient"/> and <see cref="Http.OssSigningHandler"/> both make of their options before
    /// anything else (the region and endpoint are checked as they are resolved).
    /// </summary>
    /// <exception cref="ArgumentNullException">The options, or their credentials provider, clock or product, are null.</exception>
    /// <exception cref="ArgumentException">The product is empty or whitespace.</exception>
    internal static void ThrowIfInvalid(OssClientOptions options)
    {
        // Static, with the argument named options, so that the messages say "options.CredentialsProvider" as callers write it.
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.CredentialsProvider);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Product);
    }
}
