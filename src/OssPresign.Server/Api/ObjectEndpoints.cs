using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using OssPresign.Server.Auth;
using OssPresign.Server.Storage;
using OssPresign.Signing;

namespace OssPresign.Server.Api;

/// <summary>PutObject, GetObject, HeadObject, GetObjectMeta and DeleteObject, and what the multipart steps share with them.</summary>
internal static class ObjectEndpoints
{
    /// <summary>
    /// The <c>response-*</c> query parameters of GetObject and the response headers they override (signed requests
    /// only; every request that gets this far is signed).
    /// </summary>
    private static readonly (string Parameter, string Header)[] ResponseOverrides =
    [
        ("response-content-type", HeaderNames.ContentType),
        ("response-content-language", HeaderNames.ContentLanguage),
        ("response-expires", HeaderNames.Expires),
        ("response-cache-control", HeaderNames.CacheControl),
        ("response-content-disposition", HeaderNames.ContentDisposition),
        ("response-content-encoding", HeaderNames.ContentEncoding),
    ];

    /// <summary>
    /// OSS's rules for user metadata (<see cref="OssNames.IsValidMetadataName"/>, <see cref="OssNames.MaxMetadataBytes"/>),
    /// checked before the body is read. The help pages give the ECs, not the Code; InvalidArgument is OSS's code for a
    /// request argument it refuses.
    /// </summary>
    private static OssError? CheckUserMetadata(Dictionary<string, string> metadata)
    {
        var total = 0;
        foreach (var (name, value) in metadata)
        {
            if (!OssNames.IsValidMetadataName(name))
            {
                return OssError.InvalidArgument(
                    $"The user metadata name '{name}' is not valid: after x-oss-meta- use only letters, digits and '-'.",
                    ServerEc.UserMetadataName, name, value);
            }

            if (!OssNames.IsValidHeaderValue(value))
            {
                return OssError.InvalidArgument(
                    $"The value of user metadata '{name}' holds a control character or a character beyond ASCII, which a header cannot carry " +
                    "unambiguously: encode the value (e.g. URL-encode or Base64-encode it) and decode it where it is read.",
                    ServerEc.UserMetadataValue, name, value);
            }

            total += OssNames.MetadataBytes(name, value);
        }

        return total < OssNames.MaxMetadataBytes
            ? null
            : OssError.InvalidArgument(
                $"The user metadata (the names and values of the x-oss-meta-* headers) is {total} bytes; it must stay under 8 KB ({OssNames.MaxMetadataBytes} bytes).",
                ServerEc.UserMetadataTooLarge);
    }

    /// <summary>Reads Content-MD5, when there is one.</summary>
    /// <returns>Null, or the error for a Content-MD5 that is not the base64 of 16 bytes.</returns>
    internal static OssError? ReadContentMd5(HttpRequest request, out byte[]? expectedMd5)
    {
        expectedMd5 = null;
        if (!request.Headers.TryGetValue(HeaderNames.ContentMD5, out var md5Header))
        {
            return null;
        }

        expectedMd5 = new byte[16];
        return Convert.TryFromBase64String(md5Header.ToString(), expectedMd5, out var written) && written == 16
            ? null
            : new OssError(400, OssErrorCodes.InvalidDigest, "The Content-MD5 you specified is not valid: it must be the base64 of a 16-byte MD5.",
                ServerEc.InvalidDigest);
    }

    /// <summary>Whether the request says <c>x-oss-forbid-overwrite: true</c>.</summary>
    internal static bool ForbidsOverwrite(HttpRequest request) =>
        string.Equals(request.Headers["x-oss-forbid-overwrite"].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The headers an object keeps (PutObject, InitiateMultipartUpload), user metadata checked as OSS does.</summary>
    /// <returns>Null, or the error for user metadata OSS refuses.</returns>
    internal static OssError? ReadObjectHeaders(HttpRequest request, out ObjectHeaders headers)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Headers)
        {
            if (name.StartsWith(OssNames.MetadataPrefix, StringComparison.OrdinalIgnoreCase))
            {
                metadata[name.ToLowerInvariant()] = value.ToString();
            }
        }

        headers = new ObjectHeaders(
            NullIfEmpty(request.Headers.ContentType),
            NullIfEmpty(request.Headers.ContentDisposition),
            NullIfEmpty(request.Headers.ContentEncoding),
            NullIfEmpty(request.Headers.CacheControl),
            NullIfEmpty(request.Headers.Expires),
            metadata);
        return CheckSetting(request, "x-oss-object-acl", ObjectAcls, kept: ["default", "private"], "An object ACL that is not private")
            ?? CheckSetting(request, "x-oss-storage-class", StorageClasses, kept: ["Standard"], "A storage class other than Standard")
            ?? CheckSetting(request, "x-oss-server-side-encryption", Encryptions, kept: [], "Server-side encryption")
            ?? (request.Headers.ContainsKey("x-oss-tagging") ? OssError.NotImplemented("Object tagging (x-oss-tagging)") : null)
            ?? CheckKeptHeaders(headers)
            ?? CheckUserMetadata(metadata);
    }

    /// <summary>
    /// The standard headers an object keeps are sent back on every GET and HEAD: one that could not be (a control
    /// character; before, every read of the object stored was a 500) or that no two clients read alike (beyond ASCII)
    /// is refused before anything is stored (<see cref="OssNames.IsValidHeaderValue"/>).
    /// </summary>
    private static OssError? CheckKeptHeaders(ObjectHeaders headers)
    {
        (string Name, string? Value)[] kept =
        [
            (HeaderNames.ContentType, headers.ContentType), (HeaderNames.ContentDisposition, headers.ContentDisposition),
            (HeaderNames.ContentEncoding, headers.ContentEncoding), (HeaderNames.CacheControl, headers.CacheControl),
            (HeaderNames.Expires, headers.Expires),
        ];
        foreach (var (name, value) in kept)
        {
            if (value is not null && !OssNames.IsValidHeaderValue(value))
            {
                return OssError.InvalidArgument(
                    $"The {name} header holds a control character or a character beyond ASCII; the object would be sent back with it. " +
                    "Encode it (e.g. filename*=UTF-8''... for a Content-Disposition file name).",
                    ServerEc.InvalidArgument, name, value);
            }
        }

        return null;
    }

    /// <summary>The values of <c>x-oss-server-side-encryption</c> OSS accepts; none is kept here (OSS would echo it).</summary>
    private static readonly string[] Encryptions = ["AES256", "KMS", "SM4"];

    /// <summary>The values of <c>x-oss-object-acl</c> OSS accepts.</summary>
    private static readonly string[] ObjectAcls = ["default", "private", "public-read", "public-read-write"];

    /// <summary>The values of <c>x-oss-storage-class</c> OSS accepts (case-sensitive, the strict reading).</summary>
    private static readonly string[] StorageClasses = ["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"];

    /// <summary>
    /// A setting this server does not keep: a value OSS refuses is 400 InvalidArgument, as there; a valid one that the
    /// server cannot honour (a public-read object, an Archive one that must be restored) is 501 rather than stored as
    /// something else, so that a test never passes here on behaviour OSS would not have.
    /// </summary>
    private static OssError? CheckSetting(HttpRequest request, string header, string[] valid, string[] kept, string unsupported)
    {
        if (!request.Headers.TryGetValue(header, out var given))
        {
            return null;
        }

        var value = given.ToString();
        return !valid.Contains(value, StringComparer.Ordinal)
            ? OssError.InvalidArgument($"{header} '{value}' is not one of {string.Join(", ", valid)}.", ServerEc.InvalidArgument, header, value)
            : kept.Contains(value, StringComparer.Ordinal) ? null
            : OssError.NotImplemented($"{unsupported} ({header}: {value})");
    }

    /// <summary>The error for a body that could not be read whole: too large, cut short or malformed. Nothing was stored.</summary>
    internal static OssError BodyNotReceived(BadHttpRequestException e) => e.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => EntityTooLarge(),

        // OSS's code for a connection that sent nothing for too long (S3's too), a 400.
        StatusCodes.Status408RequestTimeout => new OssError(400, "RequestTimeout",
            $"Your socket connection to the server was not read from or written to within the timeout period: {e.Message}", ServerEc.RequestTimeout),
        _ => new OssError(400, "IncompleteBody", $"The request body was not received whole: {e.Message}", ServerEc.IncompleteBody),
    };

    internal static OssError BadDigest(byte[] expectedMd5, byte[] computedMd5) =>
        new(400, OssErrorCodes.BadDigest, "The Content-MD5 you specified did not match what we received.", ServerEc.BadDigest)
        {
            Details = [new("ExpectedMD5", Convert.ToBase64String(expectedMd5)), new("CalculatedMD5", Convert.ToBase64String(computedMd5))],
        };

    /// <summary>PutObject: stream the body into the store; ETag and CRC-64 back.</summary>
    public static async Task<IResult> PutObjectAsync(HttpContext context, BucketInfo bucket, string key, ObjectStore store)
    {
        var request = context.Request;
        if (request.ContentLength > ObjectStore.MaxObjectSize)
        {
            return EntityTooLarge();
        }

        if (ReadContentMd5(request, out var expectedMd5) is { } digestError)
        {
            return digestError;
        }

        var forbidOverwrite = ForbidsOverwrite(request);
        if (forbidOverwrite && store.GetObject(bucket.Name, key) is not null)
        {
            // Refuse before the body is uploaded; the commit checks again, for a race with another writer.
            return FileAlreadyExists();
        }

        if (ReadObjectHeaders(request, out var headers) is { } metadataError)
        {
            return metadataError;
        }

        PutOutcome outcome;
        try
        {
            await using var body = new ClientBodyStream(context);
            outcome = await store.PutObjectAsync(bucket.Name, key, body, request.ContentLength, headers, expectedMd5, forbidOverwrite, context.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            return BodyNotReceived(e);
        }

        switch (outcome.Status)
        {
            case PutStatus.Created:
                var stored = outcome.Object!;
                var response = context.Response;
                response.Headers.ETag = stored.ETag;
                response.Headers["x-oss-hash-crc64ecma"] = stored.Crc64.ToString(CultureInfo.InvariantCulture);
                response.Headers.ContentMD5 = Convert.ToBase64String(outcome.ComputedMd5!);
                return Results.Ok();
            case PutStatus.BadDigest:
                return BadDigest(expectedMd5!, outcome.ComputedMd5!);
            case PutStatus.FileAlreadyExists:
                return FileAlreadyExists();
            case PutStatus.EntityTooLarge:
                return EntityTooLarge();
            default:
                return OssError.NoSuchBucket(bucket.Name);
        }
    }

    /// <summary>GetObject and HeadObject: conditions, Range, <c>response-*</c> overrides, stored headers.</summary>
    public static IResult GetObject(HttpContext context, OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        var isGet = HttpMethods.IsGet(context.Request.Method);
        if (isGet && ResponseOverrides.FirstOrDefault(o => target.GetQuery(o.Parameter) is { } value && !HeaderText.CanEcho(value)) is ({ } refused, _))
        {
            // Checked first, so that no header is half-written: Kestrel cannot send a control character (it was a 500).
            return OssError.InvalidArgument($"{refused} holds a control character, which a response header cannot carry.", ServerEc.InvalidArgument,
                refused, target.GetQuery(refused));
        }

        var opened = store.OpenObject(bucket.Name, target.Key!);
        if (opened is null)
        {
            return OssError.NoSuchKey(target.Key!);
        }

        var (stored, body) = opened.Value;
        var ownsBody = true;
        try
        {
            var request = context.Request;
            var response = context.Response;
            response.Headers.ETag = stored.ETag;
            response.Headers.LastModified = stored.LastModified.ToString("R", CultureInfo.InvariantCulture);
            if (EvaluateConditions(request, stored) is { } conditionResult)
            {
                return conditionResult;
            }

            WriteObjectHeaders(response, stored);
            if (isGet)
            {
                foreach (var (parameter, header) in ResponseOverrides)
                {
                    if (target.GetQuery(parameter) is { } value)
                    {
                        response.Headers[header] = value;
                    }
                }
            }

            var (start, length, partial, rangeError) = isGet ? ResolveRange(request, stored.Size) : (0, stored.Size, false, null);
            if (rangeError is not null)
            {
                response.Headers.ContentRange = $"bytes */{stored.Size}";
                return rangeError;
            }

            response.ContentLength = length;
            if (partial)
            {
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{stored.Size}";
            }

            if (!isGet)
            {
                return Results.Empty;
            }

            ownsBody = false;
            return new BodyResult(body, start, length);
        }
        finally
        {
            if (ownsBody)
            {
                body.Dispose();
            }
        }
    }

    /// <summary>
    /// GetObjectMeta (<c>HEAD ?objectMeta</c>): the object's size, ETag and Last-Modified only, as OSS answers it; no
    /// conditions, no stored headers.
    /// </summary>
    public static IResult GetObjectMeta(HttpResponse response, BucketInfo bucket, string key, ObjectStore store)
    {
        if (store.GetObject(bucket.Name, key) is not { } stored)
        {
            return OssError.NoSuchKey(key);
        }

        response.Headers.ETag = stored.ETag;
        response.Headers.LastModified = stored.LastModified.ToString("R", CultureInfo.InvariantCulture);
        response.ContentLength = stored.Size;
        return Results.Empty;
    }

    /// <summary>DeleteObject: 204 whether or not the key existed, as OSS.</summary>
    public static IResult DeleteObject(BucketInfo bucket, string key, ObjectStore store)
    {
        store.DeleteObject(bucket.Name, key);
        return Results.NoContent();
    }

    private static void WriteObjectHeaders(HttpResponse response, StoredObject stored)
    {
        var h = stored.Headers;
        response.ContentType = h.ContentType ?? "application/octet-stream";
        SetIfPresent(response, HeaderNames.ContentDisposition, h.ContentDisposition);
        SetIfPresent(response, HeaderNames.ContentEncoding, h.ContentEncoding);
        SetIfPresent(response, HeaderNames.CacheControl, h.CacheControl);
        SetIfPresent(response, HeaderNames.Expires, h.Expires);
        foreach (var (name, value) in h.Metadata)
        {
            response.Headers[name] = value;
        }

        response.Headers.AcceptRanges = "bytes";
        if (!stored.IsMultipart)
        {
            // A multipart object's ETag is not the MD5 of its body, and no MD5 of the whole body exists (as on OSS).
            response.Headers.ContentMD5 = Convert.ToBase64String(Convert.FromHexString(stored.EntityTag));
        }

        response.Headers["x-oss-hash-crc64ecma"] = stored.Crc64.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-oss-object-type"] = stored.ObjectType;
        response.Headers["x-oss-storage-class"] = "Standard";

        // An object is data, not a page of this server: an uploaded HTML or SVG file rendered on the server's own
        // origin could call the upload page's same-origin presign API, which signs with the server's keys. A sandboxed
        // document has an opaque origin, which that API refuses. (OSS serves such files from its default domain as
        // downloads; this keeps the bytes and type as stored.)
        response.Headers.ContentSecurityPolicy = "sandbox";
    }

    /// <summary>RFC 7232 order: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.</summary>
    private static IResult? EvaluateConditions(HttpRequest request, StoredObject stored)
    {
        var headers = request.GetTypedHeaders();

        // HTTP dates have whole seconds; so does LastModified, so the comparisons are exact.
        if (MatchesAny(request.Headers.IfMatch, stored) is { } ifMatch)
        {
            if (!ifMatch)
            {
                return PreconditionFailed("If-Match");
            }
        }
        else if (headers.IfUnmodifiedSince is { } unmodifiedSince && stored.LastModified > unmodifiedSince)
        {
            return PreconditionFailed("If-Unmodified-Since");
        }

        if (MatchesAny(request.Headers.IfNoneMatch, stored) is { } ifNoneMatch)
        {
            if (ifNoneMatch)
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
        }
        else if (headers.IfModifiedSince is { } modifiedSince && stored.LastModified <= modifiedSince)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return null;
    }

    /// <summary>
    /// Whether an If-Match or If-None-Match list names the object (<c>*</c>, or its ETag), or null when there is none.
    /// Tags are compared by value, quoted or not, as OSS and S3 do (weak comparison: a <c>W/</c> prefix is dropped):
    /// a parser of RFC 9110 entity-tags drops an unquoted tag, and with it the condition, so an unquoted wrong ETag
    /// returned the object instead of 412.
    /// </summary>
    private static bool? MatchesAny(StringValues header, StoredObject stored)
    {
        var tags = header.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (tags.Count == 0)
        {
            return null;
        }

        return tags.Any(tag =>
        {
            var value = tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
            value = value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
            return tag == "*" || value == stored.EntityTag;
        });
    }

    /// <summary>
    /// One byte range, OSS style: an unsatisfiable or malformed Range returns the whole object (200), unless
    /// <c>x-oss-range-behavior: standard</c> asks for 416; an end past the object is clamped. Multiple ranges are
    /// not supported and also return the whole object.
    /// </summary>
    private static (long Start, long Length, bool Partial, OssError? Error) ResolveRange(HttpRequest request, long size)
    {
        var value = request.Headers.Range.ToString();
        var whole = (0L, size, false, (OssError?)null);
        if (value.Length == 0)
        {
            return whole;
        }

        var standard = string.Equals(request.Headers["x-oss-range-behavior"].ToString(), "standard", StringComparison.OrdinalIgnoreCase);
        var invalid = standard
            ? (0L, 0L, false, new OssError(416, OssErrorCodes.InvalidRange, "The requested range cannot be satisfied.", ServerEc.InvalidRange)
            {
                Details = [new("RangeRequested", value), new("ActualObjectSize", size.ToString(CultureInfo.InvariantCulture))],
            })
            : whole;
        if (!value.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || value.Contains(',', StringComparison.Ordinal))
        {
            return whole;
        }

        var spec = value.AsSpan(6).Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return whole;
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        long start, end;
        if (first.IsEmpty)
        {
            // Suffix range: the last N bytes.
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0)
            {
                return invalid;
            }

            start = Math.Max(0, size - suffix);
            end = size - 1;
        }
        else
        {
            if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out start))
            {
                return whole;
            }

            if (last.IsEmpty)
            {
                end = size - 1;
            }
            else if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                return whole;
            }
        }

        if (size == 0 || start >= size)
        {
            return invalid;
        }

        end = Math.Min(end, size - 1);
        return (start, end - start + 1, true, null);
    }

    private static OssError PreconditionFailed(string condition) =>
        new(412, OssErrorCodes.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.", ServerEc.PreconditionFailed)
        {
            Details = [new("Condition", condition)],
        };

    internal static OssError EntityTooLarge() =>
        new(400, OssErrorCodes.EntityTooLarge, "Your proposed upload exceeds the maximum allowed object size (5 GiB).", ServerEc.EntityTooLarge);

    internal static OssError FileAlreadyExists() =>
        new(409, OssErrorCodes.FileAlreadyExists, "The object you specified already exists and can not be overwritten.", ServerEc.FileAlreadyExists);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static void SetIfPresent(HttpResponse response, string name, string? value)
    {
        if (value is not null)
        {
            response.Headers[name] = value;
        }
    }

    /// <summary>
    /// The request body as the store reads it. Kestrel reports some malformed chunked bodies (a chunk size that
    /// overflows) as a plain <see cref="IOException"/> rather than a <see cref="BadHttpRequestException"/>; such a
    /// failure to read the client's bytes is the client's fault, a 400, never a 500. Failures writing the file are not
    /// read failures and stay server errors. Found by the reliability tests (docs/reliability.md).
    /// </summary>
    /// <remarks>
    /// A body that stops arriving for <see cref="IdleTimeout"/> is cut off (400 RequestTimeout). Kestrel's
    /// MinRequestBodyDataRate alone did not do it: it checks the average rate since the body began, so a client that
    /// sent 100 MiB and then went silent (a pulled cable sends no FIN) held its connection, its buffers and its temp file
    /// for a day (102,400 s at 1 KiB/s). One timer per body, not per read: an upload makes thousands of reads. It cancels
    /// the pending read of the body's PipeReader, which this stream reads directly: Kestrel's own stream over it does not
    /// give a cancelled read back (AdvanceTo), which left its body reader "in an invalid state" for the draining after
    /// the answer (an error in the log).
    /// </remarks>
    internal sealed class ClientBodyStream : Stream
    {
        /// <summary>The longest a body may send nothing before it is cut off (nginx's client_body_timeout default).</summary>
        public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

        private readonly PipeReader _reader;
        private readonly TimeProvider _time;
        private readonly ITimer _watchdog;
        private long _lastProgress;

        /// <summary>Reads <paramref name="context"/>'s body.</summary>
        public ClientBodyStream(HttpContext context)
        {
            _reader = context.Request.BodyReader;
            _time = context.RequestServices.GetRequiredService<TimeProvider>();
            _lastProgress = _time.GetTimestamp();
            var check = IdleTimeout / 4;
            _watchdog = _time.CreateTimer(_ => CutIfIdle(), null, check, check);
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var data = result.Buffer;
                while (data.IsEmpty && !result.IsCompleted && !result.IsCanceled)
                {
                    _reader.AdvanceTo(data.Start);
                    result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    data = result.Buffer;
                }

                if (result.IsCanceled)
                {
                    _reader.AdvanceTo(data.Start);
                    throw new BadHttpRequestException($"No body data arrived for {IdleTimeout.TotalSeconds:0} s.", StatusCodes.Status408RequestTimeout);
                }

                var read = (int)Math.Min(data.Length, buffer.Length);
                data.Slice(0, read).CopyTo(buffer.Span);
                _reader.AdvanceTo(data.GetPosition(read));
                Volatile.Write(ref _lastProgress, _time.GetTimestamp());
                return read;
            }
            catch (IOException e) when (e is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                // BadHttpRequestException is an IOException too, with its own status (413, this stream's 408): kept.
                throw new BadHttpRequestException(e.Message, StatusCodes.Status400BadRequest, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _watchdog.Dispose();
            }

            base.Dispose(disposing);
        }

        private void CutIfIdle()
        {
            if (_time.GetElapsedTime(Volatile.Read(ref _lastProgress)) >= IdleTimeout)
            {
                try
                {
                    _reader.CancelPendingRead();
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
                {
                    // The request ended while this tick ran; disposing a timer does not wait for its callback.
                }
            }
        }
    }

    /// <summary>Copies a byte range of an open body to the response, with a bounded pooled buffer.</summary>
    private sealed class BodyResult(Stream body, long start, long length) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            await using (body.ConfigureAwait(false))
            {
                body.Seek(start, SeekOrigin.Begin);
                var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
                try
                {
                    var remaining = length;
                    while (remaining > 0)
                    {
                        var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), httpContext.RequestAborted)
                            .ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw new IOException("An object body is shorter than its recorded size.");
                        }

                        await httpContext.Response.Body.WriteAsync(buffer.AsMemory(0, read), httpContext.RequestAborted).ConfigureAwait(false);
                        remaining -= read;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }
}
