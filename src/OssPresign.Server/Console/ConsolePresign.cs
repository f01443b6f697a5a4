using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using OssPresign.Server.Api;
using OssPresign.Server.Auth;
using OssPresign.Server.Storage;

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
    private const int MaxBodyBytes = 16 * 1024;
    private const int MaxContentTypeLength = 256;

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
        NoStore(context);
        if (CheckSameOrigin(context) is { } refusal)
        {
            return Problem(StatusCodes.Status403Forbidden, "Forbidden", refusal);
        }

        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "UnsupportedMediaType", "Send the request as application/json.");
        }

        // The server accepts 5 GiB bodies for PutObject; this endpoint reads a few hundred bytes. What it leaves
        // unread Kestrel drains after the response, so the client still gets the 413 on a kept connection.
        var tooLarge = Problem(StatusCodes.Status413PayloadTooLarge, "RequestTooLarge", $"Send a JSON body of at most {MaxBodyBytes} bytes.");
        if (request.ContentLength > MaxBodyBytes)
        {
            return tooLarge;
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var read = await request.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, context.RequestAborted).ConfigureAwait(false);
        if (read > MaxBodyBytes)
        {
            return tooLarge;
        }

        ConsolePresignRequest? body;
        try
        {
            body = JsonSerializer.Deserialize(buffer.AsSpan(0, read), ConsoleJson.Default.ConsolePresignRequest);
        }
        catch (JsonException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "InvalidJson", $"The body is not the expected JSON: {e.Message}");
        }

        var bucketName = body?.Bucket ?? string.Empty;
        if (!OssNames.IsValidBucketName(bucketName))
        {
            return Problem(StatusCodes.Status400BadRequest, "InvalidBucketName", $"'{bucketName}' is not a bucket name: use 3-63 characters of a-z, 0-9 and '-'.");
        }

        if (context.RequestServices.GetRequiredService<ObjectStore>().GetBucket(bucketName) is not { } bucket)
        {
            return Problem(StatusCodes.Status404NotFound, "NoSuchBucket", $"Bucket '{bucketName}' does not exist on this server.");
        }

        var key = body!.Key ?? string.Empty;
        if (OssNames.ValidateKey(key) is { } keyProblem)
        {
            return Problem(StatusCodes.Status400BadRequest, "InvalidObjectName", keyProblem);
        }

        // The browser sends the file's type as the header's value, so it must be printable ASCII.
        var contentType = body.ContentType ?? string.Empty;
        if (contentType.Length > MaxContentTypeLength || contentType.Any(c => c is < ' ' or > '~'))
        {
            return Problem(StatusCodes.Status400BadRequest, "InvalidArgument", $"contentType must be printable ASCII of at most {MaxContentTypeLength} characters.");
        }

        var expires = body.ExpiresSeconds ?? DefaultExpiresSeconds;
        if (expires is < 1 or > MaxExpiresSeconds)
        {
            return Problem(StatusCodes.Status400BadRequest, "InvalidArgument", $"expiresSeconds must be 1-{MaxExpiresSeconds} (seven days); it is {expires}.");
        }

        // Each URL is signed with the first key the server would let run it (a config file may limit keys with
        // policies): an upload URL no key may use would only end in a 403 after the upload, and the download link is
        // left out when no key may read the object.
        var keys = context.RequestServices.GetRequiredService<AccessKeyStore>();
        if (keys.CredentialsAllowedTo(OssOperation.PutObject, bucket.Region, bucket.Name, key) is not { } putCredentials)
        {
            return Problem(StatusCodes.Status403Forbidden, "AccessDenied",
                $"No enabled access key of this server may oss:PutObject '{key}' in bucket '{bucket.Name}'; see the keys' policies in the config file.");
        }

        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        var options = new PresignOptions { Expires = TimeSpan.FromSeconds(expires) };
        var put = await Client(putCredentials).PresignAsync(
            new PutObjectRequest { Bucket = bucket.Name, Key = key, ContentType = contentType.Length == 0 ? null : contentType },
            options, context.RequestAborted).ConfigureAwait(false);
        var get = keys.CredentialsAllowedTo(OssOperation.GetObject, bucket.Region, bucket.Name, key) is { } getCredentials
            ? await Client(getCredentials).PresignAsync(new GetObjectRequest { Bucket = bucket.Name, Key = key }, options, context.RequestAborted).ConfigureAwait(false)
            : null;

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsolePresign));
        LogPresigned(logger, bucket.Name, contentType.Length == 0 ? "none" : contentType, expires);
        return TypedResults.Json(
            new ConsolePresignResponse(put.Method, put.Url, put.Expiration, put.SignedHeaders, get?.Url),
            ConsoleJson.Default.ConsolePresignResponse);

        OssClient Client(OssCredentials credentials) => new(new OssClientOptions
        {
            Region = bucket.Region,

            // The page's own origin (a loopback Host, checked above), so the upload is same-origin and needs no CORS.
            Endpoint = new Uri($"{request.Scheme}://{request.Host}"),
            UsePathStyle = true,
            CredentialsProvider = new StaticCredentialsProvider(credentials.AccessKeyId, credentials.AccessKeySecret, credentials.SecurityToken),
            TimeProvider = time,
        });
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
}

/// <summary>The body of <c>POST api/presign</c>.</summary>
internal sealed record ConsolePresignRequest(string? Bucket, string? Key, string? ContentType, int? ExpiresSeconds);

/// <summary>
/// The answer of <c>POST api/presign</c>: send <paramref name="SignedHeaders"/> exactly, and no other signed header.
/// <paramref name="GetUrl"/> is null when no key of the server may read the object.
/// </summary>
internal sealed record ConsolePresignResponse(string Method, string Url, DateTimeOffset Expiration, IReadOnlyDictionary<string, string> SignedHeaders, string? GetUrl);

/// <summary>The answer of <c>GET api/status</c>.</summary>
internal sealed record ConsoleStatus(bool Presign, string? Reason, IReadOnlyList<ConsoleBucket> Buckets);

/// <summary>A bucket the page can upload to.</summary>
internal sealed record ConsoleBucket(string Name, string Region);

/// <summary>A refused console API request, as JSON.</summary>
internal sealed record ConsoleProblem(string Code, string Message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConsolePresignRequest))]
[JsonSerializable(typeof(ConsolePresignResponse))]
[JsonSerializable(typeof(ConsoleStatus))]
[JsonSerializable(typeof(ConsoleProblem))]
internal sealed partial class ConsoleJson : JsonSerializerContext;
