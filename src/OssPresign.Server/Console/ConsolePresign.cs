using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using OssPresign.Server.Api;
using OssPresign.Server.Auth;
using OssPresign.Server.Storage;
using OssPresign.Upload;

namespace OssPresign.Server.Console;

/// <summary>
/// The console's API, in the shape an application backend gives it: the page asks for a presigned PUT of one file
/// with the file's Content-Type signed, then uploads straight to the presigned URL; it never holds a key.
/// </summary>
/// <remarks>
/// The endpoint signs with the server's keys for whoever can call it, so it answers only its own page on a loopback
/// server: the Host must be a loopback name (a DNS name rebound to 127.0.0.1 by another site fails), and a request
/// from another origin is refused (a browser would also need a preflight for <c>application/json</c>, and nothing
/// under <c>/_console/</c> answers one). The response holds signed URLs, never the secret.
/// </remarks>
internal static partial class ConsolePresign
{
    private const int DefaultExpiresSeconds = 3600;
    private const int MaxExpiresSeconds = 604800;

    /// <summary>How much longer than its parts a multipart upload's abort URL is valid.</summary>
    private const int AbortGraceSeconds = 3600;
    private const int MaxBodyBytes = 16 * 1024;
    private const int MaxContentTypeLength = 256;

    /// <summary>The part size the page's multipart uploads get unless they ask for another: 16 MiB.</summary>
    private const long DefaultPartSize = 16 * 1024 * 1024;

    /// <summary>The largest object a multipart upload makes: 10,000 parts of 5 GiB (OSS documents 48.8 TB).</summary>
    private const long MaxMultipartObjectSize = PresignedMultipartUpload.MaxParts * PresignedMultipartUpload.MaxPartSize;

    /// <summary><c>GET api/status</c>: whether the presign endpoint answers this page, and the buckets to offer.</summary>
    public static JsonHttpResult<ConsoleStatus> Status(HttpContext context, ConsoleSettings settings)
    {
        NoStore(context);
        if (!settings.PresignEnabled)
        {
            return TypedResults.Json(
                new ConsoleStatus(false, "This server is not bound to a loopback address, so it does not presign for browsers.", []),
                ConsoleJson.Default.ConsoleStatus);
        }

        if (CheckSameOrigin(context) is { } refusal)
        {
            return TypedResults.Json(new ConsoleStatus(false, refusal, []), ConsoleJson.Default.ConsoleStatus);
        }

        var buckets = ConsoleEndpoints.ListBuckets(context).Select(b => new ConsoleBucket(b.Name, b.Region)).ToList();
        return TypedResults.Json(new ConsoleStatus(true, null, buckets), ConsoleJson.Default.ConsoleStatus);
    }

    /// <summary>
    /// <c>POST api/presign</c> <c>{"bucket","key","contentType","expiresSeconds"}</c>: a presigned PUT signing the
    /// Content-Type (none when empty) and a presigned GET of the same object, both on the page's own origin, each signed
    /// with the first of the server's keys that may use it.
    /// </summary>
    public static async Task<Results<JsonHttpResult<ConsolePresignResponse>, JsonHttpResult<ConsoleProblem>>> PresignAsync(HttpContext context)
    {
        var (checkedRequest, problem) = await ReadRequestAsync(context).ConfigureAwait(false);
        if (checkedRequest is not { } r)
        {
            return problem!;
        }

        var put = await Client(context, r.Bucket, r.PutCredentials).PresignAsync(
            new PutObjectRequest { Bucket = r.Bucket.Name, Key = r.Key, ContentType = r.ContentType.Length == 0 ? null : r.ContentType },
            r.Options, context.RequestAborted).ConfigureAwait(false);
        var get = await PresignGetAsync(context, r).ConfigureAwait(false);
        var logger = Logger(context);
        LogPresigned(logger, r.Bucket.Name, r.ContentType.Length == 0 ? "none" : r.ContentType, r.ExpiresSeconds);
        return TypedResults.Json(
            new ConsolePresignResponse(put.Method, put.Url, put.Expiration, put.SignedHeaders, get),
            ConsoleJson.Default.ConsolePresignResponse);
    }

    /// <summary>
    /// <c>POST api/presign-multipart</c> <c>{"bucket","key","contentType","expiresSeconds","size","partSize"}</c>: for a
    /// file too large for one PUT (or better sent in parts), initiates a multipart upload with the Content-Type and
    /// presigns its parts (<c>partSize</c> bytes each but the last; default 16 MiB, raised when 10,000 parts would not
    /// hold <c>size</c>), its completion and its abort, as <see cref="OssClient.PresignMultipartUploadAsync"/> does.
    /// </summary>
    public static async Task<Results<JsonHttpResult<ConsoleMultipartResponse>, JsonHttpResult<ConsoleProblem>>> PresignMultipartAsync(HttpContext context)
    {
        var (checkedRequest, problem) = await ReadRequestAsync(context).ConfigureAwait(false);
        if (checkedRequest is not { } r)
        {
            return problem!;
        }

        if (r.Size is not (>= 0 and <= MaxMultipartObjectSize) || r.PartSize is < PresignedMultipartUpload.MinPartSize or > PresignedMultipartUpload.MaxPartSize)
        {
            return Problem(StatusCodes.Status400BadRequest, "InvalidArgument",
                $"size must be 0-{MaxMultipartObjectSize} bytes, and partSize, when given, {PresignedMultipartUpload.MinPartSize}-{PresignedMultipartUpload.MaxPartSize}.");
        }

        var size = r.Size.Value;
        var partSize = Math.Max(r.PartSize ?? DefaultPartSize, PresignedMultipartUpload.LeastPartSize(size));
        var headers = new ObjectHeaders(r.ContentType.Length == 0 ? null : r.ContentType, null, null, null, null, new Dictionary<string, string>());

        // Initiated here, by the server itself, for the key that may PutObject there: the same row an
        // InitiateMultipartUpload would write.
        var store = context.RequestServices.GetRequiredService<ObjectStore>();
        if (store.InitiateMultipartUpload(r.Bucket.Name, r.Key, headers) is not { } initiated)
        {
            return Problem(StatusCodes.Status404NotFound, "NoSuchBucket", $"Bucket '{r.Bucket.Name}' does not exist on this server.");
        }

        var upload = await Client(context, r.Bucket, r.PutCredentials)
            .PresignMultipartUploadAsync(r.Bucket.Name, r.Key, initiated.UploadId, size, partSize, r.Options, context.RequestAborted).ConfigureAwait(false);
        var abort = await PresignAbortAsync(context, r, initiated.UploadId).ConfigureAwait(false);
        var get = await PresignGetAsync(context, r).ConfigureAwait(false);
        var logger = Logger(context);
        LogPresignedMultipart(logger, r.Bucket.Name, upload.Parts.Count, r.ExpiresSeconds);
        return TypedResults.Json(
            new ConsoleMultipartResponse(
                upload.UploadId, upload.PartSize, [.. upload.Parts.Select(p => new ConsoleUrl(p.Url, p.SignedHeaders))],
                new ConsoleUrl(upload.Complete.Url, upload.Complete.SignedHeaders), abort,
                upload.Complete.Expiration, get),
            ConsoleJson.Default.ConsoleMultipartResponse);
    }

    /// <summary>
    /// Reads and checks the JSON body both presign endpoints take, and picks the key to sign with: the first that may
    /// PutObject there (a config file may limit keys with policies; a URL no key may use would only end in a 403 after
    /// the upload).
    /// </summary>
    private static async Task<(CheckedRequest? Request, JsonHttpResult<ConsoleProblem>? Problem)> ReadRequestAsync(HttpContext context)
    {
        NoStore(context);
        if (CheckSameOrigin(context) is { } refusal)
        {
            return (null, Problem(StatusCodes.Status403Forbidden, "Forbidden", refusal));
        }

        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, "UnsupportedMediaType", "Send the request as application/json."));
        }

        // The server accepts 5 GiB bodies for PutObject; this endpoint reads a few hundred bytes. What it leaves
        // unread Kestrel drains after the response, so the client still gets the 413 on a kept connection.
        var tooLarge = Problem(StatusCodes.Status413PayloadTooLarge, "RequestTooLarge", $"Send a JSON body of at most {MaxBodyBytes} bytes.");
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, tooLarge);
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var read = await request.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, context.RequestAborted).ConfigureAwait(false);
        if (read > MaxBodyBytes)
        {
            return (null, tooLarge);
        }

        ConsolePresignRequest? body;
        try
        {
            body = JsonSerializer.Deserialize(buffer.AsSpan(0, read), ConsoleJson.Default.ConsolePresignRequest);
        }
        catch (JsonException e)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "InvalidJson", $"The body is not the expected JSON: {e.Message}"));
        }

        var bucketName = body?.Bucket ?? string.Empty;
        if (!OssNames.IsValidBucketName(bucketName))
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "InvalidBucketName", $"'{bucketName}' is not a bucket name: use 3-63 characters of a-z, 0-9 and '-'."));
        }

        if (context.RequestServices.GetRequiredService<ObjectStore>().GetBucket(bucketName) is not { } bucket)
        {
            return (null, Problem(StatusCodes.Status404NotFound, "NoSuchBucket", $"Bucket '{bucketName}' does not exist on this server."));
        }

        var key = body!.Key ?? string.Empty;
        if (OssNames.ValidateKey(key) is { } keyProblem)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "InvalidObjectName", keyProblem));
        }

        // The browser sends the file's type as the header's value, so it must be printable ASCII.
        var contentType = body.ContentType ?? string.Empty;
        if (contentType.Length > MaxContentTypeLength || contentType.Any(c => c is < ' ' or > '~'))
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "InvalidArgument", $"contentType must be printable ASCII of at most {MaxContentTypeLength} characters."));
        }

        var expires = body.ExpiresSeconds ?? DefaultExpiresSeconds;
        if (expires is < 1 or > MaxExpiresSeconds)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "InvalidArgument", $"expiresSeconds must be 1-{MaxExpiresSeconds} (seven days); it is {expires}."));
        }

        if (context.RequestServices.GetRequiredService<AccessKeyStore>().CredentialsAllowedTo(OssOperation.PutObject, bucket.Region, bucket.Name, key) is not { } putCredentials)
        {
            return (null, Problem(StatusCodes.Status403Forbidden, "AccessDenied",
                $"No enabled access key of this server may oss:PutObject '{key}' in bucket '{bucket.Name}'; see the keys' policies in the config file."));
        }

        return (new CheckedRequest(bucket, key, contentType, expires, body.Size, body.PartSize, putCredentials), null);
    }

    /// <summary>
    /// The abort of a failed or cancelled upload, signed apart from the parts: with a key that may
    /// oss:AbortMultipartUpload (the key that may upload need not), and valid an hour longer than the parts, so that an
    /// upload that failed because its URLs expired can still be aborted. Null when no key may abort there.
    /// </summary>
    private static async Task<ConsoleUrl?> PresignAbortAsync(HttpContext context, CheckedRequest r, string uploadId)
    {
        if (context.RequestServices.GetRequiredService<AccessKeyStore>()
                .CredentialsAllowedTo(OssOperation.AbortMultipartUpload, r.Bucket.Region, r.Bucket.Name, r.Key) is not { } abortCredentials)
        {
            return null;
        }

        var expires = TimeSpan.FromSeconds(Math.Min(r.ExpiresSeconds + AbortGraceSeconds, MaxExpiresSeconds));
        var abort = await Client(context, r.Bucket, abortCredentials)
            .PresignAsync(new AbortMultipartUploadRequest { Bucket = r.Bucket.Name, Key = r.Key, UploadId = uploadId }, new PresignOptions { Expires = expires }, context.RequestAborted)
            .ConfigureAwait(false);
        return new ConsoleUrl(abort.Url, abort.SignedHeaders);
    }

    /// <summary>A presigned GET of the object for the page's download link; null when no key may read it.</summary>
    private static async Task<string?> PresignGetAsync(HttpContext context, CheckedRequest r) =>
        context.RequestServices.GetRequiredService<AccessKeyStore>().CredentialsAllowedTo(OssOperation.GetObject, r.Bucket.Region, r.Bucket.Name, r.Key) is { } getCredentials
            ? (await Client(context, r.Bucket, getCredentials).PresignAsync(new GetObjectRequest { Bucket = r.Bucket.Name, Key = r.Key }, r.Options, context.RequestAborted)
                .ConfigureAwait(false)).Url
            : null;

    /// <summary>A client on the page's own origin (a loopback Host, checked), so the upload is same-origin and needs no CORS.</summary>
    private static OssClient Client(HttpContext context, BucketInfo bucket, OssCredentials credentials) => new(new OssClientOptions
    {
        Region = bucket.Region,
        Endpoint = new Uri($"{context.Request.Scheme}://{context.Request.Host}"),
        UsePathStyle = true,
        CredentialsProvider = new StaticCredentialsProvider(credentials.AccessKeyId, credentials.AccessKeySecret, credentials.SecurityToken),
        TimeProvider = context.RequestServices.GetRequiredService<TimeProvider>(),
    });

    private static ILogger Logger(HttpContext context) => context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsolePresign));

    /// <summary>A request both endpoints accepted, and the key that may upload.</summary>
    private sealed record CheckedRequest(BucketInfo Bucket, string Key, string ContentType, int ExpiresSeconds, long? Size, long? PartSize, OssCredentials PutCredentials)
    {
        public PresignOptions Options { get; } = new() { Expires = TimeSpan.FromSeconds(ExpiresSeconds) };
    }

    private static JsonHttpResult<ConsoleProblem> Problem(int statusCode, string code, string message) =>
        TypedResults.Json(new ConsoleProblem(code, message), ConsoleJson.Default.ConsoleProblem, statusCode: statusCode);

    /// <summary>Null when the request comes from the console's own page on a loopback name; else why not.</summary>
    private static string? CheckSameOrigin(HttpContext context)
    {
        var request = context.Request;
        var host = request.Host.Host;
        var loopback = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        if (!loopback)
        {
            return $"The console presigns only for pages opened on localhost or a loopback address, not on '{request.Host}'.";
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return $"The console presigns only for its own page, not for a page on {origin}.";
        }

        // 'none' is a URL the user typed; a fetch from another site says 'same-site' or 'cross-site'.
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
        {
            return $"The console presigns only for its own page, not for a {site} request.";
        }

        return null;
    }

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    [LoggerMessage(Level = LogLevel.Information, Message = "Console presigned a PUT to bucket {Bucket} (Content-Type {ContentType}, {ExpiresSeconds} s)")]
    private static partial void LogPresigned(ILogger logger, string bucket, string contentType, int expiresSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Console initiated a multipart upload to bucket {Bucket} and presigned its {Parts} parts ({ExpiresSeconds} s)")]
    private static partial void LogPresignedMultipart(ILogger logger, string bucket, int parts, int expiresSeconds);
}

/// <summary>The body of <c>POST api/presign</c> and (with the sizes) <c>POST api/presign-multipart</c>.</summary>
internal sealed record ConsolePresignRequest(string? Bucket, string? Key, string? ContentType, int? ExpiresSeconds, long? Size = null, long? PartSize = null);

/// <summary>
/// The answer of <c>POST api/presign</c>: send <paramref name="SignedHeaders"/> exactly, and no other signed header.
/// <paramref name="GetUrl"/> is null when no key of the server may read the object.
/// </summary>
internal sealed record ConsolePresignResponse(string Method, string Url, DateTimeOffset Expiration, IReadOnlyDictionary<string, string> SignedHeaders, string? GetUrl);

/// <summary>
/// The answer of <c>POST api/presign-multipart</c>: PUT part <c>i</c> (bytes from <c>i * PartSize</c>) to
/// <paramref name="Parts"/>[i], then POST the part list to <paramref name="Complete"/>; DELETE <paramref name="Abort"/>
/// to give up.
/// </summary>
internal sealed record ConsoleMultipartResponse(
    string UploadId, long PartSize, IReadOnlyList<ConsoleUrl> Parts, ConsoleUrl Complete, ConsoleUrl? Abort, DateTimeOffset Expiration, string? GetUrl);

/// <summary>A presigned URL and the headers to send with it exactly.</summary>
internal sealed record ConsoleUrl(string Url, IReadOnlyDictionary<string, string> SignedHeaders);

/// <summary>The answer of <c>GET api/status</c>.</summary>
internal sealed record ConsoleStatus(bool Presign, string? Reason, IReadOnlyList<ConsoleBucket> Buckets);

/// <summary>A bucket the page can upload to.</summary>
internal sealed record ConsoleBucket(string Name, string Region);

/// <summary>A refused console API request, as JSON.</summary>
internal sealed record ConsoleProblem(string Code, string Message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConsolePresignRequest))]
[JsonSerializable(typeof(ConsolePresignResponse))]
[JsonSerializable(typeof(ConsoleMultipartResponse))]
[JsonSerializable(typeof(ConsoleStatus))]
[JsonSerializable(typeof(ConsoleProblem))]
internal sealed partial class ConsoleJson : JsonSerializerContext;
