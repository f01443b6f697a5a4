namespace OssPresign.Signing;

/// <summary>
/// Why a signed request is refused, as OSS reports it: HTTP status, <c>Code</c>, <c>Message</c> and <c>EC</c>
/// (OSS-V4.md §5). A value, not an exception: refusing a request is the verifier's ordinary work.
/// </summary>
/// <param name="StatusCode">The HTTP status, e.g. 403.</param>
/// <param name="Code">The OSS error code, one of <see cref="OssErrorCodes"/>.</param>
/// <param name="Message">A message that says what was wrong.</param>
/// <param name="Ec">The OSS EC id, e.g. <c>0002-00000217</c>.</param>
public sealed record OssAuthFailure(int StatusCode, string Code, string Message, string Ec)
{
    /// <summary>A 403 <c>AccessDenied</c> with the given message and EC.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="ec">The EC id.</param>
    /// <returns>The failure.</returns>
    public static OssAuthFailure AccessDenied(string message, string ec) => new(403, OssErrorCodes.AccessDenied, message, ec);

    /// <summary>A 400 <c>InvalidArgument</c> with the given message and EC.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="ec">The EC id.</param>
    /// <returns>The failure.</returns>
    public static OssAuthFailure InvalidArgument(string message, string ec) => new(400, OssErrorCodes.InvalidArgument, message, ec);
}

/// <summary>The OSS error codes this project reads and writes (the <c>Code</c> element of an OSS error).</summary>
public static class OssErrorCodes
{
    /// <summary>Refused: expired, not allowed by policy, or a malformed signature.</summary>
    public const string AccessDenied = "AccessDenied";

    /// <summary>The recomputed signature differs from the one provided.</summary>
    public const string SignatureDoesNotMatch = "SignatureDoesNotMatch";

    /// <summary>The access key id is unknown or disabled.</summary>
    public const string InvalidAccessKeyId = "InvalidAccessKeyId";

    /// <summary>A parameter or header has a bad value.</summary>
    public const string InvalidArgument = "InvalidArgument";

    /// <summary>The signing time is too far from the server clock (header mode).</summary>
    public const string RequestTimeTooSkewed = "RequestTimeTooSkewed";

    /// <summary>The bucket does not exist.</summary>
    public const string NoSuchBucket = "NoSuchBucket";

    /// <summary>The object does not exist.</summary>
    public const string NoSuchKey = "NoSuchKey";

    /// <summary>The Content-MD5 does not match the body.</summary>
    public const string BadDigest = "BadDigest";

    /// <summary>The Content-MD5 is not a base64 MD5.</summary>
    public const string InvalidDigest = "InvalidDigest";

    /// <summary><c>x-oss-forbid-overwrite: true</c> and the object exists.</summary>
    public const string FileAlreadyExists = "FileAlreadyExists";

    /// <summary>The body is larger than 5 GiB.</summary>
    public const string EntityTooLarge = "EntityTooLarge";

    /// <summary>The object key is empty or too long.</summary>
    public const string InvalidObjectName = "InvalidObjectName";

    /// <summary>The bucket name is not valid.</summary>
    public const string InvalidBucketName = "InvalidBucketName";

    /// <summary>The bucket exists.</summary>
    public const string BucketAlreadyExists = "BucketAlreadyExists";

    /// <summary>The bucket still holds objects.</summary>
    public const string BucketNotEmpty = "BucketNotEmpty";

    /// <summary>A condition header failed.</summary>
    public const string PreconditionFailed = "PreconditionFailed";

    /// <summary>The Range is outside the object.</summary>
    public const string InvalidRange = "InvalidRange";

    /// <summary>The operation is not implemented.</summary>
    public const string NotImplemented = "NotImplemented";

    /// <summary>The method is not allowed on the resource.</summary>
    public const string MethodNotAllowed = "MethodNotAllowed";

    /// <summary>A bug on the server.</summary>
    public const string InternalError = "InternalError";

    /// <summary>The upload id names no multipart upload in progress (never initiated, aborted or completed).</summary>
    public const string NoSuchUpload = "NoSuchUpload";

    /// <summary>A part listed in CompleteMultipartUpload was not uploaded, or not with the ETag given.</summary>
    public const string InvalidPart = "InvalidPart";

    /// <summary>The parts listed in CompleteMultipartUpload are not in ascending order of part number.</summary>
    public const string InvalidPartOrder = "InvalidPartOrder";

    /// <summary>A part other than the last is smaller than the 100 KB CompleteMultipartUpload requires.</summary>
    public const string EntityTooSmall = "EntityTooSmall";

    /// <summary>The XML body of the request is not well-formed or not what the operation expects.</summary>
    public const string MalformedXml = "MalformedXML";
}
