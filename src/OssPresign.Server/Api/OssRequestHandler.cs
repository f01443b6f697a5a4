using OssPresign.Server.Auth;
using OssPresign.Server.Storage;
using OssPresign.Signing;

namespace OssPresign.Server.Api;

/// <summary>
/// The OSS request pipeline behind one catch-all endpoint: read the target from the raw request line (routing cannot:
/// the bucket may be in the Host, and keys are arbitrary), apply CORS, answer preflights, authenticate, authorize,
/// then run the operation.
/// </summary>
internal sealed partial class OssRequestHandler(ObjectStore store, RequestAuthenticator authenticator, ServerSettings settings, ILogger<OssRequestHandler> logger)
{
    /// <summary>Runs one request; every failure becomes an OSS XML error, an unexpected one a logged 500.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        IResult result;
        try
        {
            result = await DispatchAsync(context).ConfigureAwait(false);
            await result.ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client went away (mid-upload or mid-download); there is no one to answer.
            LogAborted(context.Request.Method);
            return;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogUnhandled(e, context.Request.Method);
            result = new OssError(500, OssErrorCodes.InternalError, "The local OSS server failed; see its log.", ServerEc.InternalError);
            await result.ExecuteAsync(context).ConfigureAwait(false);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            // Set once the request is authenticated: a request refused before (a bad signature, an expired URL, no
            // signature at all) has no verified key, whatever key id it claims.
            var handled = context.Features.Get<HandledRequest>();
            var operation = handled?.Operation?.ToString() ?? "-";
            var code = result is OssError error ? error.Code : "-";
            LogHandled(context.Request.Method, operation, handled?.Bucket ?? "-", context.Response.StatusCode, code, handled?.AccessKeyId ?? "none verified");
        }
    }

    private async Task<IResult> DispatchAsync(HttpContext context)
    {
        var request = context.Request;
        if (!OssRequestTarget.TryRead(request, out var target))
        {
            return new OssError(400, "InvalidURI", "The request URI has a malformed percent escape or is not valid UTF-8.", ServerEc.InvalidUri);
        }

        if (target!.Bucket is null && target.Key is not null)
        {
            // A path such as "//bucket/key": an empty bucket segment and a key. Its canonical URI, "/" + key, is the
            // one of bucket + rest-of-key (OSS-V4.md §1.5), so a URL presigned for GetObject of bucket/key would
            // verify here as a service-level request (ListBuckets). Found by the verifier fuzz (docs/reliability.md).
            return new OssError(400, OssErrorCodes.InvalidBucketName, "The request has an object key but no bucket.", ServerEc.InvalidBucketName)
            {
                Details = [new("BucketName", string.Empty)],
            };
        }

        if (target.Bucket is not null && !OssNames.IsValidBucketName(target.Bucket))
        {
            return new OssError(400, OssErrorCodes.InvalidBucketName, "The specified bucket is not valid.", ServerEc.InvalidBucketName)
            {
                Details = [new("BucketName", target.Bucket)],
            };
        }

        if (target.Key is not null && OssNames.ValidateKey(target.Key) is { } keyProblem)
        {
            return new OssError(400, OssErrorCodes.InvalidObjectName, keyProblem, ServerEc.InvalidObjectName);
        }

        var bucket = target.Bucket is null ? null : store.GetBucket(target.Bucket);
        if (bucket is not null)
        {
            Cors.ApplyToResponse(context, bucket);
        }

        if (HttpMethods.IsOptions(request.Method))
        {
            // Preflights carry no credentials, so they are answered from the rules alone, before authentication.
            return target.Bucket is null ? OssError.MethodNotAllowed(request.Method, "Service")
                : bucket is null ? OssError.NoSuchBucket(target.Bucket)
                : Cors.AnswerPreflight(context, bucket) ?? Results.Empty;
        }

        var (operation, unsupported) = OssOperations.Resolve(request.Method, target, request.Headers);
        context.Features.Set(new HandledRequest(operation, target.Bucket, null));

        // A bucket that does not exist yet (PutBucket, or a typo) is checked against the service's region.
        var region = bucket?.Region ?? settings.Region;
        if (!authenticator.TryAuthenticate(request, target, region, out var principal, out var authError))
        {
            return authError!;
        }

        if (principal is null)
        {
            // Every bucket here is private: there are no ACLs to grant anonymous access.
            return OssError.AccessDenied(
                target.Bucket is null
                    ? "Anonymous access is forbidden for this operation; sign the request."
                    : "You have no right to access this object because of bucket acl; sign the request or presign a URL.",
                ServerEc.AnonymousDenied);
        }

        context.Features.Set(new HandledRequest(operation, target.Bucket, principal.Key.AccessKeyId));
        if (unsupported is not null)
        {
            return unsupported;
        }

        var action = OssOperations.Action(operation!.Value);
        var resource = OssOperations.Resource(target);
        if (!principal.IsAllowed(action, region, resource))
        {
            LogPolicyDenied(principal.Key.AccessKeyId, action);
            return OssError.AccessDenied(
                $"You are forbidden to {action} on acs:oss:*:*:{resource}: the policy of access key {principal.Key.AccessKeyId} does not allow it.",
                ServerEc.PolicyDenied);
        }

        if (operation is OssOperation.ListBuckets)
        {
            return BucketEndpoints.ListBuckets(context, target, store, settings);
        }

        if (operation is OssOperation.PutBucket)
        {
            return await BucketEndpoints.PutBucketAsync(context, target.Bucket!, store, settings).ConfigureAwait(false);
        }

        if (bucket is null)
        {
            return OssError.NoSuchBucket(target.Bucket!);
        }

        return operation switch
        {
            OssOperation.DeleteBucket => BucketEndpoints.DeleteBucket(bucket, store),
            OssOperation.ListObjects => BucketEndpoints.ListObjects(target, bucket, store, version: 1),
            OssOperation.ListObjectsV2 => BucketEndpoints.ListObjects(target, bucket, store, version: 2),
            OssOperation.PutObject => await ObjectEndpoints.PutObjectAsync(context, bucket, target.Key!, store).ConfigureAwait(false),
            OssOperation.GetObject or OssOperation.HeadObject => ObjectEndpoints.GetObject(context, target, bucket, store),
            OssOperation.GetObjectMeta => ObjectEndpoints.GetObjectMeta(context.Response, bucket, target.Key!, store),
            OssOperation.DeleteObject => ObjectEndpoints.DeleteObject(bucket, target.Key!, store),
            OssOperation.InitiateMultipartUpload => MultipartEndpoints.Initiate(context, target, bucket, store),
            OssOperation.UploadPart => await MultipartEndpoints.UploadPartAsync(context, target, bucket, store).ConfigureAwait(false),
            OssOperation.CompleteMultipartUpload => await MultipartEndpoints.CompleteAsync(context, target, bucket, store).ConfigureAwait(false),
            OssOperation.AbortMultipartUpload => MultipartEndpoints.Abort(target, bucket, store),
            OssOperation.ListParts => MultipartEndpoints.ListParts(target, bucket, store),
            OssOperation.ListMultipartUploads => MultipartEndpoints.ListUploads(target, bucket, store),
            _ => throw new InvalidOperationException($"Operation {operation} has no handler."),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Operation} bucket {Bucket} -> {Status} {Code} (access key {AccessKeyId})")]
    private partial void LogHandled(string method, string operation, string bucket, int status, string code, string accessKeyId);

    /// <summary>What the log line of a request reports; never the query, which may hold a signature or a token.</summary>
    private sealed record HandledRequest(OssOperation? Operation, string? Bucket, string? AccessKeyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} aborted by the client")]
    private partial void LogAborted(string method);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} failed unexpectedly")]
    private partial void LogUnhandled(Exception exception, string method);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy of access key {AccessKeyId} denies {Action}")]
    private partial void LogPolicyDenied(string accessKeyId, string action);
}

/// <summary>The server-wide facts handlers need.</summary>
/// <param name="Region">The service region: of ListBuckets, PutBucket and the default buckets.</param>
internal sealed record ServerSettings(string Region);

/// <summary>Maps the OSS API.</summary>
internal static class OssEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every path and method to the OSS pipeline. More specific routes mapped by others (the console) win.
    /// </summary>
    public static IEndpointConventionBuilder MapOssEndpoints(this IEndpointRouteBuilder endpoints) =>
        endpoints.Map("/{**path}", context => context.RequestServices.GetRequiredService<OssRequestHandler>().HandleAsync(context));
}
