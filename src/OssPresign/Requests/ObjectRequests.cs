using System.Globalization;

namespace OssPresign;

/// <summary>PutObject: <c>PUT /key</c> with the body. The request the seed presigns for uploads.</summary>
public sealed class PutObjectRequest : OssObjectWriteRequest
{
    /// <summary>Content-MD5 (base64 of the MD5 of the body), signed; OSS rejects a body that does not match.</summary>
    public string? ContentMd5 { get; init; }

    /// <summary>Content-Length; signed only when listed in the additional headers.</summary>
    public long? ContentLength { get; init; }

    /// <summary><c>x-oss-callback</c>: base64 JSON of the upload callback.</summary>
    public string? Callback { get; init; }

    /// <summary><c>x-oss-callback-var</c>: base64 JSON of the callback variables.</summary>
    public string? CallbackVar { get; init; }

    /// <summary><c>x-oss-traffic-limit</c>, in bit/s.</summary>
    public long? TrafficLimit { get; init; }

    internal override string Method => "PUT";

    internal override void Contribute(ref RequestParts parts)
    {
        base.Contribute(ref parts);
        parts.Header("Content-Length", ContentLength);
        parts.Header("Content-MD5", ContentMd5);
        parts.Header("x-oss-callback", Callback);
        parts.Header("x-oss-callback-var", CallbackVar);
        parts.Header("x-oss-traffic-limit", TrafficLimit);
    }
}

/// <summary>InitiateMultipartUpload: <c>POST /key?uploads</c>.</summary>
public sealed class InitiateMultipartUploadRequest : OssObjectWriteRequest
{
    /// <summary><c>encoding-type</c>: <c>url</c> to get the key URL-encoded in the response.</summary>
    public string? EncodingType { get; init; }

    internal override string Method => "POST";

    internal override void Contribute(ref RequestParts parts)
    {
        parts.Parameter("uploads", string.Empty);
        parts.Parameter("encoding-type", EncodingType);
        base.Contribute(ref parts);
    }
}

/// <summary>Conditional-request headers shared by GetObject and HeadObject.</summary>
public abstract class OssObjectReadRequest : OssObjectRequest
{
    private protected OssObjectReadRequest()
    {
    }

    /// <summary><c>versionId</c>: a specific version of the object.</summary>
    public string? VersionId { get; init; }

    /// <summary>If-Match: an ETag the object must have.</summary>
    public string? IfMatch { get; init; }

    /// <summary>If-None-Match: an ETag the object must not have.</summary>
    public string? IfNoneMatch { get; init; }

    /// <summary>If-Modified-Since.</summary>
    public DateTimeOffset? IfModifiedSince { get; init; }

    /// <summary>If-Unmodified-Since.</summary>
    public DateTimeOffset? IfUnmodifiedSince { get; init; }

    /// <summary><c>x-oss-request-payer</c>.</summary>
    public string? RequestPayer { get; init; }

    internal override void Contribute(ref RequestParts parts)
    {
        parts.Parameter("versionId", VersionId);
        parts.Header("If-Match", IfMatch);
        parts.Header("If-None-Match", IfNoneMatch);
        parts.Header("If-Modified-Since", IfModifiedSince);
        parts.Header("If-Unmodified-Since", IfUnmodifiedSince);
        parts.Header("x-oss-request-payer", RequestPayer);
    }
}

/// <summary>GetObject: <c>GET /key</c>.</summary>
public sealed class GetObjectRequest : OssObjectReadRequest
{
    /// <summary>Range, e.g. <c>bytes=0-1023</c>; not signed.</summary>
    public string? Range { get; init; }

    /// <summary><c>x-oss-range-behavior</c>: <c>standard</c> for RFC range semantics.</summary>
    public string? RangeBehavior { get; init; }

    /// <summary><c>response-cache-control</c>: Cache-Control of the response.</summary>
    public string? ResponseCacheControl { get; init; }

    /// <summary><c>response-content-disposition</c>: Content-Disposition of the response.</summary>
    public string? ResponseContentDisposition { get; init; }

    /// <summary><c>response-content-encoding</c>: Content-Encoding of the response.</summary>
    public string? ResponseContentEncoding { get; init; }

    /// <summary><c>response-content-language</c>: Content-Language of the response.</summary>
    public string? ResponseContentLanguage { get; init; }

    /// <summary><c>response-content-type</c>: Content-Type of the response.</summary>
    public string? ResponseContentType { get; init; }

    /// <summary><c>response-expires</c>: Expires of the response.</summary>
    public string? ResponseExpires { get; init; }

    /// <summary><c>x-oss-process</c>: image or document processing, e.g. <c>image/resize,w_100</c>.</summary>
    public string? Process { get; init; }

    /// <summary><c>x-oss-traffic-limit</c>, in bit/s.</summary>
    public long? TrafficLimit { get; init; }

    internal override string Method => "GET";

    internal override void Contribute(ref RequestParts parts)
    {
        base.Contribute(ref parts);
        parts.Parameter("response-cache-control", ResponseCacheControl);
        parts.Parameter("response-content-disposition", ResponseContentDisposition);
        parts.Parameter("response-content-encoding", ResponseContentEncoding);
        parts.Parameter("response-content-language", ResponseContentLanguage);
        parts.Parameter("response-content-type", ResponseContentType);
        parts.Parameter("response-expires", ResponseExpires);
        parts.Parameter("x-oss-process", Process);
        parts.Header("Range", Range);
        parts.Header("x-oss-range-behavior", RangeBehavior);
        parts.Header("x-oss-traffic-limit", TrafficLimit);
    }
}

/// <summary>HeadObject: <c>HEAD /key</c>.</summary>
public sealed class HeadObjectRequest : OssObjectReadRequest
{
    internal override string Method => "HEAD";
}

/// <summary>UploadPart: <c>PUT /key?partNumber=N&amp;uploadId=ID</c> with the part's bytes.</summary>
public sealed class UploadPartRequest : OssObjectRequest
{
    /// <summary>The part number, 1-10000.</summary>
    public required int PartNumber { get; init; }

    /// <summary>The upload id from InitiateMultipartUpload.</summary>
    public required string UploadId { get; init; }

    /// <summary>Content-MD5 of the part, signed.</summary>
    public string? ContentMd5 { get; init; }

    /// <summary>Content-Length; signed only when listed in the additional headers.</summary>
    public long? ContentLength { get; init; }

    /// <summary><c>x-oss-traffic-limit</c>, in bit/s.</summary>
    public long? TrafficLimit { get; init; }

    /// <summary><c>x-oss-request-payer</c>.</summary>
    public string? RequestPayer { get; init; }

    internal override string Method => "PUT";

    private protected override void ValidateOperation()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PartNumber, 1, nameof(PartNumber));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PartNumber, 10000, nameof(PartNumber));
        ArgumentException.ThrowIfNullOrEmpty(UploadId, nameof(UploadId));
    }

    internal override void Contribute(ref RequestParts parts)
    {
        parts.Parameter("partNumber", PartNumber.ToString(CultureInfo.InvariantCulture));
        parts.Parameter("uploadId", UploadId);
        parts.Header("Content-Length", ContentLength);
        parts.Header("Content-MD5", ContentMd5);
        parts.Header("x-oss-traffic-limit", TrafficLimit);
        parts.Header("x-oss-request-payer", RequestPayer);
    }
}

/// <summary>CompleteMultipartUpload: <c>POST /key?uploadId=ID</c>; the caller sends the parts XML as the body.</summary>
public sealed class CompleteMultipartUploadRequest : OssObjectRequest
{
    /// <summary>The upload id from InitiateMultipartUpload.</summary>
    public required string UploadId { get; init; }

    /// <summary><c>encoding-type</c>.</summary>
    public string? EncodingType { get; init; }

    /// <summary><c>x-oss-forbid-overwrite</c>.</summary>
    public bool? ForbidOverwrite { get; init; }

    /// <summary><c>x-oss-complete-all</c>: <c>yes</c> to complete with every uploaded part (no body).</summary>
    public string? CompleteAll { get; init; }

    /// <summary><c>x-oss-object-acl</c>.</summary>
    public string? ObjectAcl { get; init; }

    /// <summary><c>x-oss-callback</c>.</summary>
    public string? Callback { get; init; }

    /// <summary><c>x-oss-callback-var</c>.</summary>
    public string? CallbackVar { get; init; }

    /// <summary><c>x-oss-request-payer</c>.</summary>
    public string? RequestPayer { get; init; }

    internal override string Method => "POST";

    private protected override void ValidateOperation() => ArgumentException.ThrowIfNullOrEmpty(UploadId, nameof(UploadId));

    internal override void Contribute(ref RequestParts parts)
    {
        parts.Parameter("uploadId", UploadId);
        parts.Parameter("encoding-type", EncodingType);
        parts.Header("x-oss-forbid-overwrite", ForbidOverwrite);
        parts.Header("x-oss-complete-all", CompleteAll);
        parts.Header("x-oss-object-acl", ObjectAcl);
        parts.Header("x-oss-callback", Callback);
        parts.Header("x-oss-callback-var", CallbackVar);
        parts.Header("x-oss-request-payer", RequestPayer);
    }
}

/// <summary>AbortMultipartUpload: <c>DELETE /key?uploadId=ID</c>.</summary>
public sealed class AbortMultipartUploadRequest : OssObjectRequest
{
    /// <summary>The upload id from InitiateMultipartUpload.</summary>
    public required string UploadId { get; init; }

    /// <summary><c>x-oss-request-payer</c>.</summary>
    public string? RequestPayer { get; init; }

    internal override string Method => "DELETE";

    private protected override void ValidateOperation() => ArgumentException.ThrowIfNullOrEmpty(UploadId, nameof(UploadId));

    internal override void Contribute(ref RequestParts parts)
    {
        parts.Parameter("uploadId", UploadId);
        parts.Header("x-oss-request-payer", RequestPayer);
    }
}
