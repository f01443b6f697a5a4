namespace OssPresign;

/// <summary>How long a presigned URL stays valid. <see cref="Expiration"/> wins; neither means 15 minutes.</summary>
public sealed class PresignOptions
{
    /// <summary>Validity from the signing time; at most seven days (604800 s).</summary>
    public TimeSpan? Expires { get; init; }

    /// <summary>The absolute expiry; must be after the signing time and at most seven days after it.</summary>
    public DateTimeOffset? Expiration { get; init; }
}

/// <summary>A presigned request: what to send, where, until when, and with which headers.</summary>
/// <param name="Method">The HTTP method the URL is signed for.</param>
/// <param name="Url">
/// The URL. A string, not a <see cref="Uri"/>, because <see cref="Uri"/> removes dot segments from keys such as
/// <c>a/./b</c> and so would address another object (OSS-V4.md §1.17).
/// </param>
/// <param name="Expiration">When the URL stops working.</param>
/// <param name="SignedHeaders">
/// The headers the request must carry with exactly these values, and no other Content-Type, Content-MD5 or
/// <c>x-oss-*</c> header: OSS rebuilds the signature from what it receives. Case-insensitive.
/// </param>
public sealed record PresignResult(string Method, string Url, DateTimeOffset Expiration, IReadOnlyDictionary<string, string> SignedHeaders);
