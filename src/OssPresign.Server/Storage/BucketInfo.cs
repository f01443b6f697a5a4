namespace OssPresign.Server.Storage;

/// <summary>A bucket: its name, region, creation time and CORS rules.</summary>
/// <param name="Name">The bucket name.</param>
/// <param name="Region">The bare region id, e.g. <c>cn-hangzhou</c>.</param>
/// <param name="CreatedOn">When it was created.</param>
/// <param name="CorsRules">The CORS rules, evaluated in order; empty when cross-origin access is not allowed.</param>
internal sealed record BucketInfo(string Name, string Region, DateTimeOffset CreatedOn, IReadOnlyList<CorsRule> CorsRules);

/// <summary>
/// One CORS rule as OSS defines it (PutBucketCors): origins and headers may hold one <c>*</c> wildcard; methods are
/// exact. Property names are those of the OSS XML, so a config file can copy them.
/// </summary>
internal sealed record CorsRule
{
    /// <summary>Origins allowed, e.g. <c>https://example.com</c> or <c>*</c>.</summary>
    public IReadOnlyList<string> AllowedOrigin { get; init; } = [];

    /// <summary>Methods allowed: GET, PUT, DELETE, POST, HEAD.</summary>
    public IReadOnlyList<string> AllowedMethod { get; init; } = [];

    /// <summary>Request headers a preflight may ask for (case-insensitive, <c>*</c> wildcard).</summary>
    public IReadOnlyList<string> AllowedHeader { get; init; } = [];

    /// <summary>Response headers the browser may read.</summary>
    public IReadOnlyList<string> ExposeHeader { get; init; } = [];

    /// <summary>How long the browser may cache a preflight answer, or null.</summary>
    public int? MaxAgeSeconds { get; init; }

    /// <summary>
    /// The rule the default buckets get so a browser page on any origin can upload and read responses in development.
    /// </summary>
    public static CorsRule Development { get; } = new()
    {
        AllowedOrigin = ["*"],
        AllowedMethod = ["GET", "PUT", "POST", "DELETE", "HEAD"],
        AllowedHeader = ["*"],
        ExposeHeader = ["ETag", "x-oss-request-id", "x-oss-hash-crc64ecma", "Content-MD5"],
        MaxAgeSeconds = 600,
    };
}
