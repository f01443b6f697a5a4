namespace OssPresign.Upload;

/// <summary>How a <see cref="PresignedUploader"/> retries and which clock it reads.</summary>
public sealed class PresignedUploaderOptions
{
    /// <summary>Attempts in all, the first included: at least 1, which turns retries off. Default 4.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The wait before the first retry; each later wait doubles it. 0 to 7 days; default 1 second.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts. 0 to 7 days (no presigned URL lives longer); default 30 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The size of the buffer the body is copied through; the most of it held in memory. At least 1024 bytes; default 80 KiB.</summary>
    public int BufferSize { get; init; } = 80 * 1024;

    /// <summary>How many parts of a multipart upload are sent at once: at least 1. Default 4.</summary>
    public int MaxConcurrentParts { get; init; } = 4;

    /// <summary>The clock for the expiry check and the retry waits.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>What OSS answered to a successful upload.</summary>
/// <param name="StatusCode">The HTTP status, 200.</param>
/// <param name="ETag">The object's ETag as sent, quotes included (the upper-case hex MD5 of the body for a PUT).</param>
/// <param name="RequestId">The <c>x-oss-request-id</c> header.</param>
/// <param name="HashCrc64Ecma">The <c>x-oss-hash-crc64ecma</c> header: the CRC-64 of the body, decimal.</param>
/// <param name="VersionId">The <c>x-oss-version-id</c> header, on versioned buckets.</param>
/// <param name="ContentMd5">The <c>Content-MD5</c> header of the response: base64 MD5 of the body.</param>
/// <param name="BytesSent">The body length.</param>
/// <param name="Attempts">How many attempts it took, 1 when the first one succeeded.</param>
public sealed record PresignedUploadResult(
    int StatusCode,
    string? ETag,
    string? RequestId,
    string? HashCrc64Ecma,
    string? VersionId,
    string? ContentMd5,
    long BytesSent,
    int Attempts);
