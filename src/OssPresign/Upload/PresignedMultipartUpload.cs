namespace OssPresign.Upload;

/// <summary>
/// A multipart upload, presigned: what the owner of a bucket hands to whoever uploads a large file (for instance as
/// JSON from a web backend), who needs no credentials. Part <c>i</c> (from 0) is the file's bytes from
/// <c>i * PartSize</c>, <see cref="PartSize"/> of them or the rest for the last part, sent with <see cref="Parts"/>[i];
/// <see cref="Complete"/> then joins them. <see cref="PresignedUploader.UploadPartsAsync"/> does all of it.
/// Made by <see cref="OssClient.PresignMultipartUploadAsync"/>.
/// </summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="Key">The object key.</param>
/// <param name="UploadId">The id InitiateMultipartUpload returned.</param>
/// <param name="ObjectSize">The size of the file the parts are cut from, in bytes.</param>
/// <param name="PartSize">The size of every part but the last.</param>
/// <param name="Parts">One presigned UploadPart (PUT) per part, in order: part numbers 1, 2, ...</param>
/// <param name="Complete">The presigned CompleteMultipartUpload (POST); its body is the part list.</param>
/// <param name="Abort">The presigned AbortMultipartUpload (DELETE), to give up and delete the parts.</param>
public sealed record PresignedMultipartUpload(
    string Bucket,
    string Key,
    string UploadId,
    long ObjectSize,
    long PartSize,
    IReadOnlyList<PresignResult> Parts,
    PresignResult Complete,
    PresignResult Abort)
{
    /// <summary>The least size of every part but the last that CompleteMultipartUpload accepts: 100 KB.</summary>
    public const long MinPartSize = 100 * 1024;

    /// <summary>The largest part: 5 GiB.</summary>
    public const long MaxPartSize = 5L * 1024 * 1024 * 1024;

    /// <summary>The most parts an upload may have: part numbers go from 1 to 10,000.</summary>
    public const int MaxParts = 10_000;

    /// <summary>
    /// OSS's largest object: <see cref="MaxParts"/> parts of <see cref="MaxPartSize"/>, 53,687,091,200,000 bytes (the
    /// "48.8 TB" of OSS's limits page).
    /// </summary>
    public const long MaxObjectSize = MaxParts * MaxPartSize;

    /// <summary>The default part size: 8 MiB, enough for objects up to ~78 GiB in 10,000 parts.</summary>
    public const long DefaultPartSize = 8 * 1024 * 1024;

    /// <summary>The least part size that cuts <paramref name="objectSize"/> bytes into at most <see cref="MaxParts"/> parts.</summary>
    /// <param name="objectSize">The object's size in bytes, not negative.</param>
    /// <returns>The part size.</returns>
    public static long LeastPartSize(long objectSize) =>
        // Rounded up as ((size - 1) / n) + 1, not (size + n - 1) / n, which overflows for sizes near long.MaxValue.
        objectSize <= 0 ? 0 : ((objectSize - 1) / MaxParts) + 1;

    /// <summary>The number of parts an object of <paramref name="objectSize"/> bytes has in parts of <paramref name="partSize"/>: at least one.</summary>
    /// <param name="objectSize">The object's size in bytes.</param>
    /// <param name="partSize">The size of every part but the last, positive.</param>
    /// <returns>The number of parts, at most <see cref="int.MaxValue"/>.</returns>
    public static int PartCount(long objectSize, long partSize) =>
        // Rounded up without overflow, as in LeastPartSize: a wrapped count would be negative and pass a "too many parts" check.
        objectSize <= partSize ? 1 : (int)Math.Min(int.MaxValue, ((objectSize - 1) / partSize) + 1);
}
