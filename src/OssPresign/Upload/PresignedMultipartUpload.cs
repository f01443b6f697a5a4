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

    /// <summary>The default part size: 8 MiB, enough for objects up to ~78 GiB in 10,000 parts.</summary>
    public const long DefaultPartSize = 8 * 1024 * 1024;

    /// <summary>The least part size that cuts <paramref name="objectSize"/> bytes into at most <see cref="MaxParts"/> parts.</summary>
    public static long LeastPartSize(long objectSize) => (objectSize + MaxParts - 1) / MaxParts;

    /// <summary>The number of parts an object of <paramref name="objectSize"/> bytes has in parts of <paramref name="partSize"/>: at least one.</summary>
    public static int PartCount(long objectSize, long partSize) =>
        objectSize <= partSize ? 1 : (int)Math.Min(int.MaxValue, (objectSize + partSize - 1) / partSize);
}
