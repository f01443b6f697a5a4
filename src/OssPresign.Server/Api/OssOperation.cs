using OssPresign.Server.Auth;

namespace OssPresign.Server.Api;

/// <summary>The operations the local server implements.</summary>
internal enum OssOperation
{
    ListBuckets,
    PutBucket,
    DeleteBucket,
    ListObjects,
    ListObjectsV2,
    PutObject,
    GetObject,
    HeadObject,
    GetObjectMeta,
    DeleteObject,
    InitiateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
}

/// <summary>Maps a request to an operation and an operation to the RAM action and resource a policy checks.</summary>
internal static class OssOperations
{
    /// <summary>
    /// Sub-resources of operations this server does not implement; a request naming one is answered 501 after
    /// authentication rather than being mistaken for a plain GET or PUT.
    /// </summary>
    private static readonly HashSet<string> UnsupportedSubresources = new(StringComparer.Ordinal)
    {
        "acl", "append", "bucketInfo", "comp", "cors", "delete", "encryption", "inventory", "lifecycle", "location", "logging",
        "policy", "position", "qos", "referer", "replication", "requestPayment", "restore", "select",
        "stat", "symlink", "tagging", "transferAcceleration", "versionId", "versioning", "versions",
        "website", "worm", "x-oss-process",
    };

    /// <summary>Resolves the operation of a request, or the error that says it is not available.</summary>
    public static (OssOperation? Operation, OssError? Error) Resolve(string method, OssRequestTarget target, IHeaderDictionary headers)
    {
        var unsupported = target.Query.FirstOrDefault(p => UnsupportedSubresources.Contains(p.Key)).Key;
        if (unsupported is not null)
        {
            return (null, OssError.NotImplemented($"The '{unsupported}' sub-resource"));
        }

        if (target.Bucket is null)
        {
            return HttpMethods.IsGet(method) ? (OssOperation.ListBuckets, null) : (null, OssError.MethodNotAllowed(method, "Service"));
        }

        if (target.Key is null)
        {
            if (target.Query.Any(p => p.Key is "uploadId" or "partNumber"))
            {
                // Multipart steps name an object; on a bucket they are a malformed request, not a listing.
                return (null, OssError.MethodNotAllowed(method, "Bucket"));
            }

            return method switch
            {
                _ when HttpMethods.IsGet(method) && target.HasQuery("uploads") => (OssOperation.ListMultipartUploads, null),
                _ when HttpMethods.IsGet(method) => (target.GetQuery("list-type") == "2" ? OssOperation.ListObjectsV2 : OssOperation.ListObjects, null),
                _ when HttpMethods.IsPut(method) => (OssOperation.PutBucket, null),
                _ when HttpMethods.IsDelete(method) => (OssOperation.DeleteBucket, null),
                _ => (null, OssError.MethodNotAllowed(method, "Bucket")),
            };
        }

        if (HttpMethods.IsPut(method) && headers.ContainsKey("x-oss-copy-source"))
        {
            return (null, OssError.NotImplemented(target.HasQuery("uploadId") ? "UploadPartCopy" : "CopyObject"));
        }

        if ((HttpMethods.IsPut(method) || HttpMethods.IsPost(method)) && (headers.ContainsKey("x-oss-callback") || target.HasQuery("callback")))
        {
            // OSS would call the callback and answer with its body, which clients parse (ali-oss fails on an empty
            // 200): refused before the upload rather than stored without the callback its client waits for.
            return (null, OssError.NotImplemented("The upload callback (x-oss-callback)"));
        }

        if (target.HasQuery("uploadId"))
        {
            return method switch
            {
                _ when HttpMethods.IsPut(method) => (OssOperation.UploadPart, null),
                _ when HttpMethods.IsPost(method) => (OssOperation.CompleteMultipartUpload, null),
                _ when HttpMethods.IsDelete(method) => (OssOperation.AbortMultipartUpload, null),
                _ when HttpMethods.IsGet(method) => (OssOperation.ListParts, null),
                _ => (null, OssError.MethodNotAllowed(method, "Object")),
            };
        }

        if (target.HasQuery("partNumber"))
        {
            // GetObject of one part (a multipart object read by part) is not implemented; a PUT without uploadId is
            // no UploadPart.
            return (null, OssError.NotImplemented("The 'partNumber' sub-resource without 'uploadId'"));
        }

        if (target.HasQuery("uploads"))
        {
            return HttpMethods.IsPost(method) ? (OssOperation.InitiateMultipartUpload, null) : (null, OssError.MethodNotAllowed(method, "Object"));
        }

        if (target.HasQuery("objectMeta"))
        {
            // OSS documents GetObjectMeta as a HEAD; another method with ?objectMeta is not served as anything else.
            return HttpMethods.IsHead(method) ? (OssOperation.GetObjectMeta, null) : (null, OssError.NotImplemented($"{method} with the 'objectMeta' sub-resource"));
        }

        return method switch
        {
            _ when HttpMethods.IsPut(method) => (OssOperation.PutObject, null),
            _ when HttpMethods.IsGet(method) => (OssOperation.GetObject, null),
            _ when HttpMethods.IsHead(method) => (OssOperation.HeadObject, null),
            _ when HttpMethods.IsDelete(method) => (OssOperation.DeleteObject, null),
            _ when HttpMethods.IsPost(method) => (null, OssError.NotImplemented("PostObject and AppendObject")),
            _ => (null, OssError.MethodNotAllowed(method, "Object")),
        };
    }

    /// <summary>The RAM action of an operation (HEAD needs oss:GetObject, as on OSS).</summary>
    public static string Action(OssOperation operation) => operation switch
    {
        OssOperation.ListBuckets => AccessPolicy.Actions.ListBuckets,
        OssOperation.PutBucket => AccessPolicy.Actions.PutBucket,
        OssOperation.DeleteBucket => AccessPolicy.Actions.DeleteBucket,
        OssOperation.ListObjects or OssOperation.ListObjectsV2 => AccessPolicy.Actions.ListObjects,
        OssOperation.PutObject => AccessPolicy.Actions.PutObject,
        OssOperation.GetObject or OssOperation.HeadObject or OssOperation.GetObjectMeta => AccessPolicy.Actions.GetObject,
        OssOperation.DeleteObject => AccessPolicy.Actions.DeleteObject,
        OssOperation.InitiateMultipartUpload or OssOperation.UploadPart or OssOperation.CompleteMultipartUpload => AccessPolicy.Actions.PutObject,
        OssOperation.AbortMultipartUpload => AccessPolicy.Actions.AbortMultipartUpload,
        OssOperation.ListParts => AccessPolicy.Actions.ListParts,
        OssOperation.ListMultipartUploads => AccessPolicy.Actions.ListMultipartUploads,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "Unknown operation."),
    };

    /// <summary>The resource after <c>acs:oss:region:account:</c>: <c>bucket/key</c>, <c>bucket</c>, or <c>*</c> for the service.</summary>
    public static string Resource(OssRequestTarget target) =>
        target.Bucket is null ? "*" : target.Key is null ? target.Bucket : $"{target.Bucket}/{target.Key}";
}
