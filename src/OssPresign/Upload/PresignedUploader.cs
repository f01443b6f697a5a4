using System.Buffers;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Xml.Linq;
using OssPresign.Signing;

namespace OssPresign.Upload;

/// <summary>
/// Uploads a file or stream through a presigned PUT URL, or a large file through a presigned multipart upload
/// (<see cref="UploadPartsAsync"/>): streams the body (never whole in memory), sets
/// Content-Length, sends exactly the headers it is given, reports progress and retries connection failures and 5xx
/// answers (but 501 and 505; and 408 and 429) with exponential backoff, waiting at least what a Retry-After header
/// asks, while the URL is still valid. Other 4xx answers are not retried: a presigned URL's signature and expiry are
/// fixed, so they would fail again. The body is sent again whole from its start on every attempt, and the CRC-64 the
/// server answers for what it stored is checked against the bytes sent. Thread-safe; one instance can run many uploads.
/// </summary>
/// <remarks>
/// OSS rebuilds the signature from the Content-Type, Content-MD5 and <c>x-oss-*</c> headers it receives
/// (OSS-V4.md §1.7), so the uploader adds none of its own: without a Content-Type header, none is sent. The
/// <see cref="HttpClient"/>'s <see cref="HttpClient.Timeout"/> bounds each attempt; for large files give it
/// <see cref="Timeout.InfiniteTimeSpan"/> and cancel with the token instead. An attempt that runs out of that time is
/// retried like a failed connection; when the last one does, the upload throws what <see cref="HttpClient"/> threw, a
/// <see cref="TaskCanceledException"/> whose <see cref="Exception.InnerException"/> is a <see cref="TimeoutException"/>.
/// A cancellation through the token is an <see cref="OperationCanceledException"/> without that inner exception, so
/// <c>catch (TaskCanceledException e) when (e.InnerException is TimeoutException)</c> catches only the timeout.
/// </remarks>
public sealed class PresignedUploader
{
    private readonly HttpClient _http;
    private readonly PresignedUploaderOptions _options;

    /// <summary>Creates an uploader that sends through <paramref name="httpClient"/>.</summary>
    /// <param name="httpClient">The client; the uploader does not dispose it.</param>
    /// <param name="options">Retries and clock; defaults when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range; the message says which and the range.</exception>
    /// <exception cref="ArgumentNullException">The client, or the options' clock, is null.</exception>
    public PresignedUploader(HttpClient httpClient, PresignedUploaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _http = httpClient;
        _options = options ?? new PresignedUploaderOptions();
        if (_options.MaxAttempts < 1)
        {
            throw OutOfRange(nameof(PresignedUploaderOptions.MaxAttempts), _options.MaxAttempts, "at least 1 (1 turns retries off)");
        }

        if (_options.BufferSize < MinBufferSize)
        {
            throw OutOfRange(nameof(PresignedUploaderOptions.BufferSize), _options.BufferSize, $"at least {MinBufferSize} bytes");
        }

        if (_options.MaxConcurrentParts < 1)
        {
            throw OutOfRange(nameof(PresignedUploaderOptions.MaxConcurrentParts), _options.MaxConcurrentParts, "at least 1");
        }

        ThrowIfNotARetryDelay(nameof(PresignedUploaderOptions.InitialRetryDelay), _options.InitialRetryDelay);
        ThrowIfNotARetryDelay(nameof(PresignedUploaderOptions.MaxRetryDelay), _options.MaxRetryDelay);
        ArgumentNullException.ThrowIfNull(_options.TimeProvider, nameof(options));

        static void ThrowIfNotARetryDelay(string option, TimeSpan delay)
        {
            // Bounded above so that neither "now + delay" nor the doubling overflows in the middle of an upload: no
            // presigned URL outlives seven days, so a longer wait could never be followed by an attempt anyway.
            if (delay < TimeSpan.Zero || delay > LongestRetryDelay)
            {
                throw OutOfRange(option, delay, $"from 0 to {LongestRetryDelay.TotalDays} days, the longest a presigned URL is valid");
            }
        }

        static ArgumentOutOfRangeException OutOfRange(string option, object value, string range) =>
            new(nameof(options), $"{option} must be {range}; it is {value}.");
    }

    private const int MinBufferSize = 1024;

    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(OssV4.MaxExpiresSeconds);

    /// <summary>Uploads <paramref name="content"/> from its current position to its end through a presigned PUT.</summary>
    /// <param name="presigned">The presigned PUT; its <see cref="PresignResult.SignedHeaders"/> are sent as they are.</param>
    /// <param name="content">A readable, seekable stream (seekable so that its length is known and a retry can rewind it); not disposed.</param>
    /// <param name="progress">Receives the bytes sent so far in the current attempt; starts again from 0 on a retry.</param>
    /// <param name="cancellationToken">Cancels the upload, including a wait between attempts.</param>
    /// <returns>ETag, request id and checksums.</returns>
    /// <exception cref="ArgumentException">
    /// The URL is not presigned for PUT, a signed header cannot be sent (see the other overload), or the stream is not
    /// readable and seekable.
    /// </exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload, or still failed with 5xx after the retries.</exception>
    /// <exception cref="HttpRequestException">
    /// The connection still failed after the retries, or the answer came from a redirect the <see cref="HttpClient"/>
    /// followed (<see cref="HttpRequestException.HttpRequestError"/> <see cref="HttpRequestError.InvalidResponse"/>; nothing was uploaded).
    /// </exception>
    /// <exception cref="IOException">
    /// Reading the stream or file failed, or it changed length while it was sent (not retried); or the server answered a
    /// CRC-64 (<c>x-oss-hash-crc64ecma</c>) that is not that of the bytes sent.
    /// </exception>
    /// <exception cref="TaskCanceledException">
    /// <see cref="HttpClient.Timeout"/> elapsed on the last attempt (the <see cref="Exception.InnerException"/> is a
    /// <see cref="TimeoutException"/>, as <see cref="HttpClient"/> makes it), or <paramref name="cancellationToken"/> was canceled (no such inner exception).
    /// </exception>
    public Task<PresignedUploadResult> UploadAsync(PresignResult presigned, Stream content, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(presigned);
        ThrowIfNotPut(presigned);
        return UploadAsync(presigned.Url, presigned.SignedHeaders, content, progress, cancellationToken);
    }

    /// <summary>Uploads <paramref name="content"/> from its current position to its end with a PUT to <paramref name="url"/>.</summary>
    /// <param name="url">The presigned URL, sent exactly as given.</param>
    /// <param name="headers">
    /// The headers to send: exactly the signed ones (Content-Type, Content-MD5, <c>x-oss-*</c>, additional headers).
    /// A Content-Length here must equal the stream's remaining length.
    /// </param>
    /// <param name="content">A readable, seekable stream; not disposed.</param>
    /// <param name="progress">Receives the bytes sent so far in the current attempt; starts again from 0 on a retry.</param>
    /// <param name="cancellationToken">Cancels the upload, including a wait between attempts.</param>
    /// <returns>ETag, request id and checksums.</returns>
    /// <exception cref="ArgumentException">
    /// The URL is not an absolute http(s) URL; a header cannot be sent (its name is not an HTTP token, or its value has a
    /// control character such as CR or LF, or a non-ASCII character); a Content-Length header does not match the
    /// stream; or the stream is not readable and seekable, or positioned past its end. Checked before anything is sent.
    /// </exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload, or still failed with 5xx after the retries.</exception>
    /// <exception cref="HttpRequestException">
    /// The connection still failed after the retries, or the answer came from a redirect the <see cref="HttpClient"/>
    /// followed (<see cref="HttpRequestException.HttpRequestError"/> <see cref="HttpRequestError.InvalidResponse"/>; nothing was uploaded).
    /// </exception>
    /// <exception cref="IOException">
    /// Reading the stream or file failed, or it changed length while it was sent (not retried); or the server answered a
    /// CRC-64 (<c>x-oss-hash-crc64ecma</c>) that is not that of the bytes sent.
    /// </exception>
    /// <exception cref="TaskCanceledException">
    /// <see cref="HttpClient.Timeout"/> elapsed on the last attempt (the <see cref="Exception.InnerException"/> is a
    /// <see cref="TimeoutException"/>, as <see cref="HttpClient"/> makes it), or <paramref name="cancellationToken"/> was canceled (no such inner exception).
    /// </exception>
    public Task<PresignedUploadResult> UploadAsync(
        string url, IEnumerable<KeyValuePair<string, string>> headers, Stream content, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanRead || !content.CanSeek)
        {
            throw new ArgumentException(
                "The stream must be readable and seekable, so that Content-Length is known and a retry can rewind it; copy it to a file first.",
                nameof(content));
        }

        var requestUri = ParseUrl(url);
        var headerList = CheckHeaders(headers, nameof(headers));
        var length = content.Length - content.Position;
        if (length < 0)
        {
            // A negative Content-Length failed only as it was sent, in an error that read like (and was retried as) a
            // failed connection.
            throw new ArgumentException($"The stream's position ({content.Position}) is past its end ({content.Length}): there is nothing to send.", nameof(content));
        }

        foreach (var (name, value) in headerList)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && (!long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var declared) || declared != length))
            {
                throw new ArgumentException($"The Content-Length header says {value} but {length} bytes are to be sent.", nameof(headers));
            }
        }

        return SendWithRetriesAsync(HttpMethod.Put, url, requestUri, headerList, content, length, content.Length, progress, ResultAsync(length), cancellationToken);
    }

    /// <summary>Uploads a file through a presigned PUT, reading it as it is sent.</summary>
    /// <param name="presigned">The presigned PUT; its <see cref="PresignResult.SignedHeaders"/> are sent as they are.</param>
    /// <param name="path">The file.</param>
    /// <param name="progress">Receives the bytes sent so far in the current attempt.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>ETag, request id and checksums.</returns>
    /// <exception cref="ArgumentException">
    /// The path is empty or a folder's, the URL is not a presigned PUT, or a header cannot be sent. Nothing is sent.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload.</exception>
    /// <exception cref="HttpRequestException">
    /// The connection still failed after the retries, or the answer came from a redirect the <see cref="HttpClient"/>
    /// followed (<see cref="HttpRequestException.HttpRequestError"/> <see cref="HttpRequestError.InvalidResponse"/>; nothing was uploaded).
    /// </exception>
    /// <exception cref="IOException">
    /// Reading the stream or file failed, or it changed length while it was sent (not retried); or the server answered a
    /// CRC-64 (<c>x-oss-hash-crc64ecma</c>) that is not that of the bytes sent.
    /// </exception>
    /// <exception cref="TaskCanceledException">
    /// <see cref="HttpClient.Timeout"/> elapsed on the last attempt (the <see cref="Exception.InnerException"/> is a
    /// <see cref="TimeoutException"/>, as <see cref="HttpClient"/> makes it), or <paramref name="cancellationToken"/> was canceled (no such inner exception).
    /// </exception>
    public Task<PresignedUploadResult> UploadFileAsync(PresignResult presigned, string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(presigned);
        ThrowIfNotPut(presigned);
        return UploadFileAsync(presigned.Url, presigned.SignedHeaders, path, progress, cancellationToken);
    }

    /// <summary>Uploads a file with a PUT to a presigned URL, reading it as it is sent.</summary>
    /// <param name="url">The presigned URL, sent exactly as given.</param>
    /// <param name="headers">The headers to send: exactly the signed ones.</param>
    /// <param name="path">The file.</param>
    /// <param name="progress">Receives the bytes sent so far in the current attempt.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>ETag, request id and checksums.</returns>
    /// <exception cref="ArgumentException">
    /// The path is empty or a folder's, the URL is not a presigned PUT, or a header cannot be sent. Nothing is sent.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload.</exception>
    /// <exception cref="HttpRequestException">
    /// The connection still failed after the retries, or the answer came from a redirect the <see cref="HttpClient"/>
    /// followed (<see cref="HttpRequestException.HttpRequestError"/> <see cref="HttpRequestError.InvalidResponse"/>; nothing was uploaded).
    /// </exception>
    /// <exception cref="IOException">
    /// Reading the stream or file failed, or it changed length while it was sent (not retried); or the server answered a
    /// CRC-64 (<c>x-oss-hash-crc64ecma</c>) that is not that of the bytes sent.
    /// </exception>
    /// <exception cref="TaskCanceledException">
    /// <see cref="HttpClient.Timeout"/> elapsed on the last attempt (the <see cref="Exception.InnerException"/> is a
    /// <see cref="TimeoutException"/>, as <see cref="HttpClient"/> makes it), or <paramref name="cancellationToken"/> was canceled (no such inner exception).
    /// </exception>
    public async Task<PresignedUploadResult> UploadFileAsync(
        string url, IEnumerable<KeyValuePair<string, string>> headers, string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotAFilePath(path);

        // No FileStream buffer: the body is copied in BufferSize chunks, which a second buffer would only copy again.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            return await UploadAsync(url, headers, file, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Initiates a multipart upload through a presigned InitiateMultipartUpload URL (POST), sending its signed headers
    /// (they become the object's: Content-Type, <c>x-oss-meta-*</c>, ...). Not retried: each attempt would start
    /// another upload.
    /// </summary>
    /// <param name="initiate">The presigned InitiateMultipartUpload.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The upload id, for <see cref="OssClient.PresignMultipartUploadAsync"/>.</returns>
    /// <exception cref="ArgumentException">The URL is not presigned for POST, or a signed header cannot be sent.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused it.</exception>
    /// <exception cref="HttpRequestException">The connection failed, or the answer came from a redirect the <see cref="HttpClient"/> followed.</exception>
    /// <exception cref="TaskCanceledException">
    /// <see cref="HttpClient.Timeout"/> elapsed (the <see cref="Exception.InnerException"/> is a <see cref="TimeoutException"/>,
    /// as <see cref="HttpClient"/> makes it), or <paramref name="cancellationToken"/> was canceled (no such inner exception).
    /// </exception>
    public async Task<string> InitiateMultipartUploadAsync(PresignResult initiate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(initiate);
        ThrowIfNot(initiate, "POST", "InitiateMultipartUpload");
        var headers = CheckHeaders(initiate.SignedHeaders, nameof(initiate));
        using var empty = new MemoryStream([], writable: false);
        return await SendWithRetriesAsync(
            HttpMethod.Post, initiate.Url, ParseUrl(initiate.Url), headers, empty, 0, 0, null,
            async (response, _, token) => ReadElement(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false), "UploadId"),
            cancellationToken, retry: false).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads a file through a presigned multipart upload: its parts, <see cref="PresignedUploaderOptions.MaxConcurrentParts"/>
    /// at a time, each retried like a single upload, then the completion with the part list. The file is read as its
    /// parts are sent, never whole in memory.
    /// </summary>
    /// <param name="upload">The presigned upload (<see cref="OssClient.PresignMultipartUploadAsync"/>).</param>
    /// <param name="path">The file; it must be <see cref="PresignedMultipartUpload.ObjectSize"/> bytes.</param>
    /// <param name="progress">
    /// Receives the bytes sent so far over all parts, one report at a time and only rising (a retried part's bytes are
    /// counted again only once they pass what was reported). Reports come from the threads that send the parts: a
    /// <see cref="Progress{T}"/> would post them to the thread pool, where they can run out of order.
    /// </param>
    /// <param name="cancellationToken">Cancels the upload; the parts sent stay until the upload is aborted or completed.</param>
    /// <returns>The completed object's ETag (not an MD5: <c>"HEX-N"</c>), request id and CRC-64; <see cref="PresignedUploadResult.Attempts"/> counts the completion's attempts.</returns>
    /// <exception cref="ArgumentException">
    /// The file's size is not the upload's, its part size is outside what OSS completes, the upload's URLs do not fit its
    /// sizes or are not its steps (a part's URL for another part or upload, or without them), a signed header cannot be
    /// sent, or the path is empty or a folder's. Checked before anything is sent.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused a part or the completion, or still failed with 5xx after the retries.</exception>
    /// <exception cref="HttpRequestException">
    /// A connection still failed after the retries (the message starts with the part's number), or an answer came from a
    /// redirect the <see cref="HttpClient"/> followed.
    /// </exception>
    /// <exception cref="TaskCanceledException">
    /// <see cref="HttpClient.Timeout"/> elapsed on the last attempt (the <see cref="Exception.InnerException"/> is a
    /// <see cref="TimeoutException"/>, as <see cref="HttpClient"/> makes it), or <paramref name="cancellationToken"/> was canceled (no such inner exception).
    /// </exception>
    /// <exception cref="IOException">
    /// The file could not be read or changed length during the upload, or a part's CRC-64 answered is not that of its bytes
    /// (the message starts with the part's number); an answer lacked its ETag, or the completion's answer was lost and its
    /// retry found the upload completed.
    /// </exception>
    public async Task<PresignedUploadResult> UploadPartsAsync(
        PresignedMultipartUpload upload, string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ThrowIfNotAFilePath(path);
        var length = new FileInfo(path).Length;
        if (length != upload.ObjectSize)
        {
            throw new ArgumentException($"The file is {length} bytes, but the upload was presigned for {upload.ObjectSize} bytes.", nameof(path));
        }

        if (upload.PartSize < 1 || upload.Parts is null || upload.Complete is null)
        {
            throw new ArgumentException("The upload has no part size, parts or completion: it is not what PresignMultipartUploadAsync made.", nameof(upload));
        }

        var count = PresignedMultipartUpload.PartCount(upload.ObjectSize, upload.PartSize);
        if (upload.Parts.Count != count)
        {
            throw new ArgumentException(
                $"The upload has {upload.Parts.Count} part URLs; {upload.ObjectSize} bytes in parts of {upload.PartSize} bytes need {count}.", nameof(upload));
        }

        // OSS checks the sizes only at the completion (EntityTooSmall, after every part was sent), or part by part
        // (EntityTooLarge); a record made by hand can have either.
        if ((count > 1 && upload.PartSize < PresignedMultipartUpload.MinPartSize) || upload.PartSize > PresignedMultipartUpload.MaxPartSize)
        {
            throw new ArgumentException(
                $"The upload's part size is {upload.PartSize} bytes; every part but the last must be {PresignedMultipartUpload.MinPartSize} bytes " +
                $"to {PresignedMultipartUpload.MaxPartSize} bytes, or the completion is refused. Nothing was sent; presign the upload again.", nameof(upload));
        }

        // Every URL and header checked before the first part goes, so that a bad one does not stop the upload halfway.
        var partHeaders = new List<KeyValuePair<string, string>>[count];
        for (var i = 0; i < count; i++)
        {
            ThrowIfNot(upload.Parts[i], "PUT", "UploadPart");
            ThrowIfNotStep(upload, upload.Parts[i].Url, $"The URL of part {i + 1}", i + 1);
            partHeaders[i] = CheckHeaders(upload.Parts[i].SignedHeaders, nameof(upload));
        }

        ThrowIfNot(upload.Complete, "POST", "CompleteMultipartUpload");
        ThrowIfNotStep(upload, upload.Complete.Url, "The completion's URL", partNumber: null);
        var completeHeaders = CheckHeaders(upload.Complete.SignedHeaders, nameof(upload));
        var etags = new string[count];
        long sentInAll = 0;
        long highestReported = -1;
        var reportLock = new Lock();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentParts, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, count), parallel, async (index, token) =>
        {
            var offset = index * upload.PartSize;
            var size = Math.Min(upload.PartSize, upload.ObjectSize - offset);
            var part = upload.Parts[index];
            long reported = 0;
            var partProgress = progress is null ? null : new SyncProgress(sent =>
            {
                // One part's reports come one after another; the total is shared by the parts in flight. Totals go out
                // one at a time and only upwards: one computed on another thread may be smaller than one already sent.
                var total = Interlocked.Add(ref sentInAll, sent - reported);
                reported = sent;
                lock (reportLock)
                {
                    if (total > highestReported)
                    {
                        highestReported = total;
                        progress.Report(total);
                    }
                }
            });
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (file.ConfigureAwait(false))
            {
                file.Seek(offset, SeekOrigin.Begin);
                PresignedUploadResult result;
                try
                {
                    result = await SendWithRetriesAsync(
                        HttpMethod.Put, part.Url, ParseUrl(part.Url), partHeaders[index], file, size, upload.ObjectSize, partProgress, ResultAsync(size), token).ConfigureAwait(false);
                }
                catch (OssRequestFailedException e)
                {
                    // Which part, so that the caller can say so (the error alone reads like one of a single PUT).
                    e.PartNumber = index + 1;
                    throw;
                }
                catch (HttpRequestException e)
                {
                    throw new HttpRequestException(e.HttpRequestError, $"Part {index + 1} of {count}: {e.Message}", e, e.StatusCode);
                }
                catch (IOException e)
                {
                    throw new IOException($"Part {index + 1} of {count}: {e.Message}", e);
                }

                // Without it the part cannot be listed for the completion; a browser page would need the bucket's CORS
                // rule to expose ETag, a proxy may have dropped it.
                etags[index] = result.ETag
                    ?? throw new IOException($"Part {index + 1} was stored, but the answer carries no ETag header to complete the upload with.");
            }
        }).ConfigureAwait(false);

        var partList = new XElement("CompleteMultipartUpload",
            etags.Select((etag, i) => new XElement("Part", new XElement("PartNumber", i + 1), new XElement("ETag", etag))));
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(partList.ToString(SaveOptions.DisableFormatting)), writable: false);
        var complete = upload.Complete;
        var completionAttempts = 0;
        try
        {
            return await SendWithRetriesAsync(
                HttpMethod.Post, complete.Url, ParseUrl(complete.Url), completeHeaders, body, body.Length, body.Length, null,
                async (response, attempt, token) => (await ResultAsync(upload.ObjectSize)(response, attempt, token).ConfigureAwait(false)) with
                {
                    // OSS puts the ETag in the XML body; the header is not documented for this operation.
                    ETag = Header(response, "ETag") ?? ReadElement(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false), "ETag"),
                },
                cancellationToken, onAttempt: attempt => completionAttempts = attempt).ConfigureAwait(false);
        }
        catch (OssRequestFailedException e) when (completionAttempts > 1 && e.Code == Signing.OssErrorCodes.NoSuchUpload)
        {
            // A completion is not idempotent: an attempt whose answer was lost may have completed the upload, and the
            // retry then finds no upload. Say so rather than report a plain failure of an object that may exist.
            throw new IOException(
                $"The completion's answer was lost and its retry found the upload gone: the first attempt most likely completed " +
                $"{upload.Bucket}/{upload.Key}. Check the object before uploading again.", e);
        }
    }

    /// <summary>
    /// Refuses a URL of the upload that is not the step it stands for: a part's URL for another part number or upload
    /// (its bytes would land in the wrong part, and the completion then fail or join the wrong bytes), or without
    /// <c>partNumber</c> and <c>uploadId</c> (a plain PutObject, which would replace the whole object with one part).
    /// Such a record was edited or put together by hand; nothing is sent.
    /// </summary>
    private static void ThrowIfNotStep(PresignedMultipartUpload upload, string url, string what, int? partNumber)
    {
        var query = url.IndexOf('?', StringComparison.Ordinal) is var start and >= 0 ? url[(start + 1)..] : string.Empty;
        var parameters = OssUriEncoding.TryDecodeQuery(query, out var decoded, out _) ? decoded : [];
        string? Parameter(string name) => parameters.FirstOrDefault(p => p.Key == name) is { Key: not null } found ? found.Value : null;
        var (uploadId, number) = (Parameter("uploadId"), Parameter("partNumber"));
        var expected = partNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (uploadId != upload.UploadId || number != expected)
        {
            var found = number is null ? $"upload '{uploadId ?? "(none)"}'" : $"part {number} of upload '{uploadId ?? "(none)"}'";
            var wanted = expected is null ? $"upload '{upload.UploadId}' with no part number" : $"part {expected} of upload '{upload.UploadId}'";
            throw new ArgumentException(
                $"{what} is for {found}, not {wanted}: the upload's record was changed after it was presigned. Nothing was sent; presign the upload again.",
                nameof(upload));
        }
    }

    /// <summary>
    /// Refuses an empty path and a folder's: opening a folder fails with "Access to the path is denied" and asking its
    /// length with "Could not find file", both of which send the user looking in the wrong place.
    /// </summary>
    private static void ThrowIfNotAFilePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"'{path}' is a folder, not a file: upload the files in it one by one.", nameof(path));
        }
    }

    private static void ThrowIfNotPut(PresignResult presigned) => ThrowIfNot(presigned, "PUT", "an upload");

    private static void ThrowIfNot(PresignResult presigned, string method, string operation)
    {
        ArgumentNullException.ThrowIfNull(presigned);
        if (!presigned.Method.Equals(method, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The URL is presigned for {presigned.Method}; {operation} needs a URL presigned for {method}.", nameof(presigned));
        }
    }

    /// <summary>The text of the first <paramref name="name"/> element of an OSS XML answer.</summary>
    private static string ReadElement(string xml, string name)
    {
        try
        {
            return XDocument.Parse(xml).Descendants(name).FirstOrDefault()?.Value
                ?? throw new IOException($"The answer has no <{name}>: {xml}");
        }
        catch (System.Xml.XmlException e)
        {
            throw new IOException($"The answer is not XML: {e.Message}", e);
        }
    }

    /// <summary>What a successful PUT answered, from its headers.</summary>
    private static Func<HttpResponseMessage, int, CancellationToken, Task<PresignedUploadResult>> ResultAsync(long bytesSent) =>
        (response, attempt, _) => Task.FromResult(new PresignedUploadResult(
            (int)response.StatusCode,
            Header(response, "ETag"),
            Header(response, "x-oss-request-id"),
            Header(response, "x-oss-hash-crc64ecma"),
            Header(response, "x-oss-version-id"),
            Header(response, "Content-MD5"),
            bytesSent,
            attempt));

    /// <summary>Reports on the caller's thread (<see cref="Progress{T}"/> would post to a synchronization context).</summary>
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    /// <summary>
    /// The headers as a list, each checked to be sendable (<see cref="HttpHeaderRules"/>) before any attempt: HttpClient
    /// would send a CR or LF raw (a header injection), and refuse a non-ASCII value only as it sends, with an error that
    /// reads like a failed connection and would be retried.
    /// </summary>
    private static List<KeyValuePair<string, string>> CheckHeaders(IEnumerable<KeyValuePair<string, string>> headers, string paramName)
    {
        var list = headers.ToList();
        foreach (var (name, value) in list)
        {
            if (HttpHeaderRules.Problem(name ?? string.Empty, value ?? string.Empty, where: null) is { } problem)
            {
                throw new ArgumentException(problem, paramName);
            }
        }

        return list;
    }

    private static Uri ParseUrl(string url)
    {
        // No canonicalization, so that keys with "./" or "%7E" go out exactly as signed (OSS-V4.md §1.17).
        var options = new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true };
        if (!Uri.TryCreate(url, in options, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"'{url}' is not an absolute http or https URL.", nameof(url));
        }

        return uri;
    }

    /// <summary>
    /// Sends <paramref name="content"/> from its current position, <paramref name="length"/> bytes, retrying connection
    /// failures and the answers <see cref="IsRetriedStatus"/> names (unless <paramref name="retry"/> is false) while the
    /// URL is valid. <paramref name="sourceLength"/> is the length the whole stream must keep while it is read.
    /// </summary>
    private async Task<T> SendWithRetriesAsync<T>(
        HttpMethod method, string url, Uri requestUri, List<KeyValuePair<string, string>> headers, Stream content, long length, long sourceLength,
        IProgress<long>? progress, Func<HttpResponseMessage, int, CancellationToken, Task<T>> readSuccess, CancellationToken cancellationToken,
        bool retry = true, Action<int>? onAttempt = null)
    {
        // A URL that is not V4 (e.g. V1) still uploads; its expiry is then unknown and only MaxAttempts bounds retries.
        DateTimeOffset? expiresOn = PresignedUrl.TryParse(url, out var parsed, out _) ? parsed!.ExpiresOn : null;
        var start = content.Position;
        var delay = _options.InitialRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            onAttempt?.Invoke(attempt);
            content.Seek(start, SeekOrigin.Begin);
            var body = new UploadContent(content, start, length, sourceLength, _options.BufferSize, progress);
            using var request = CreateRequest(method, requestUri, headers, body);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (body.SourceFailure is { } sourceFailure)
            {
                // Reading the body failed, not the connection (HttpClient wraps it as "Error while copying content"):
                // another attempt would read the same changed or unreadable stream, so the caller gets the cause.
                ExceptionDispatchInfo.Throw(sourceFailure);
                throw;
            }
            catch (Exception e) when (retry && IsTransient(e, cancellationToken) && CanRetry(attempt, delay, expiresOn))
            {
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                delay = NextDelay(delay);
                continue;
            }

            TimeSpan wait;
            using (response)
            {
                ThrowIfRedirected(response, method, requestUri);
                if (response.IsSuccessStatusCode)
                {
                    if (method == HttpMethod.Put)
                    {
                        ThrowIfStoredOtherBytes(response, body);
                    }

                    return await readSuccess(response, attempt, cancellationToken).ConfigureAwait(false);
                }

                var error = await OssRequestFailedException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
                if (!retry || !IsRetriedStatus(response.StatusCode) || RetryWait(response, delay) is not { } serverWait || !CanRetry(attempt, serverWait, expiresOn))
                {
                    throw error;
                }

                wait = serverWait;
            }

            await Task.Delay(wait, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            delay = NextDelay(delay);
        }
    }

    /// <summary>
    /// Whether an answer with this status is worth another attempt: a 5xx is the server's failure, but 501 Not Implemented
    /// and 505 HTTP Version Not Supported answer the same to every attempt; 408 and 429 ask the client to come back.
    /// Any other 4xx (403 SignatureDoesNotMatch, an expired URL, RequestTimeTooSkewed, AccessDenied) would fail again
    /// the same way: a presigned URL's signature and time are fixed.
    /// </summary>
    private static bool IsRetriedStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotImplemented or HttpStatusCode.HttpVersionNotSupported => false,
        HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => true,
        _ => (int)status >= 500,
    };

    /// <summary>
    /// The wait before the next attempt: the backoff, or longer when the answer's Retry-After asks for more (RFC 9110
    /// §10.2.3, seconds or a date). Null when it asks for more than <see cref="PresignedUploaderOptions.MaxRetryDelay"/>:
    /// coming back earlier than asked would only be refused again.
    /// </summary>
    private TimeSpan? RetryWait(HttpResponseMessage response, TimeSpan backoff)
    {
        var asked = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - _options.TimeProvider.GetUtcNow(),
            _ => TimeSpan.Zero,
        };
        return asked > _options.MaxRetryDelay ? null : asked > backoff ? asked : backoff;
    }

    /// <summary>
    /// Refuses an answer that <see cref="HttpClient"/> got by following a redirect: a 301, 302 or 303 turns a PUT or
    /// POST into a bodiless GET, whose 200 would read as a successful upload (or an upload id) while nothing was stored.
    /// A presigned URL signs its host and path, so no redirect can lead to the same upload anyway.
    /// </summary>
    private static void ThrowIfRedirected(HttpResponseMessage response, HttpMethod method, Uri requestUri)
    {
        if (response.RequestMessage is { } sent && (sent.Method != method || sent.RequestUri?.OriginalString != requestUri.OriginalString))
        {
            throw new HttpRequestException(
                HttpRequestError.InvalidResponse,
                $"The server redirected the {method} to {sent.RequestUri}, which the HttpClient followed as a {sent.Method} (HTTP {(int)response.StatusCode}): " +
                "nothing was uploaded through the presigned URL. A presigned URL is signed for its host and path; presign it for the " +
                "endpoint the bucket is on, and give the uploader an HttpClient whose handler does not follow redirects (AllowAutoRedirect = false).",
                statusCode: response.StatusCode);
        }
    }

    /// <summary>
    /// Compares the CRC-64 OSS computed over the body it stored (<c>x-oss-hash-crc64ecma</c>, answered to PutObject and
    /// UploadPart) with that of the bytes sent, as OSS's own SDKs do: the ETag cannot serve, it is not the MD5 of the
    /// body when the bucket encrypts. A mismatch means the bytes were changed on the way; the object (or part) holds them.
    /// </summary>
    private static void ThrowIfStoredOtherBytes(HttpResponseMessage response, UploadContent body)
    {
        if (Header(response, "x-oss-hash-crc64ecma") is { } stored
            && ulong.TryParse(stored, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var storedCrc)
            && body.SentCrc64 is { } sentCrc && storedCrc != sentCrc)
        {
            throw new IOException(
                $"The server answered 200, but the CRC-64 of what it stored is {storedCrc}, and that of the {body.Length} bytes sent is {sentCrc}: " +
                "the body was changed on the way. Upload it again.");
        }
    }

    private bool CanRetry(int attempt, TimeSpan delay, DateTimeOffset? expiresOn) =>
        attempt < _options.MaxAttempts && (expiresOn is null || _options.TimeProvider.GetUtcNow() + delay < expiresOn);

    private TimeSpan NextDelay(TimeSpan delay)
    {
        // Plain doubling without jitter: one uploader retrying one object does not cause a thundering herd.
        var next = delay * 2;
        return next > _options.MaxRetryDelay ? _options.MaxRetryDelay : next;
    }

    private static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException http => http.HttpRequestError is HttpRequestError.Unknown or HttpRequestError.ConnectionError
            or HttpRequestError.NameResolutionError or HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError,

        // HttpClient.Timeout surfaces as a cancellation that the caller did not ask for.
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private static HttpRequestMessage CreateRequest(HttpMethod method, Uri requestUri, List<KeyValuePair<string, string>> headers, UploadContent body)
    {
        var request = new HttpRequestMessage(method, requestUri) { Content = body };
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                // Already checked against the stream; HttpClient sends the computed length.
                continue;
            }

            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = value;
                continue;
            }

            // Raw values, checked (CheckHeaders) but not normalized: the signature covers them byte for byte. Content headers
            // (Content-Type, Content-MD5, Content-Disposition, ...) are refused by the request headers and go on the content.
            if (!request.Headers.TryAddWithoutValidation(name, value) && !body.Headers.TryAddWithoutValidation(name, value))
            {
                throw new ArgumentException($"The header '{name}: {value}' cannot be sent.", nameof(headers));
            }
        }

        // Lets the server refuse (bad signature, expired URL) before the body is sent.
        if (body.Length > 0 && request.Headers.ExpectContinue is null)
        {
            request.Headers.ExpectContinue = true;
        }

        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    /// <summary>
    /// The body: copies the stream's range through one pooled buffer, reporting progress. It sets no Content-Type, and
    /// it does not own the stream, so a retry can send it again. A failure to read the stream is kept in
    /// <see cref="SourceFailure"/>, so that it is not mistaken for a failed connection.
    /// </summary>
    private sealed class UploadContent(Stream source, long start, long length, long sourceLength, int bufferSize, IProgress<long>? progress) : HttpContent
    {
        public long Length => length;

        /// <summary>What reading the stream threw (not a cancellation), or null.</summary>
        public Exception? SourceFailure { get; private set; }

        /// <summary>The CRC-64 (<see cref="Crc64Xz"/>) of the bytes sent, once all were; null before.</summary>
        public ulong? SentCrc64 { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            SourceFailure = null;
            SentCrc64 = null;
            source.Seek(start, SeekOrigin.Begin);
            var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                long sent = 0;
                var crc = Crc64Xz.Empty;
                progress?.Report(0);
                while (sent < length)
                {
                    var read = await ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - sent)), sent, cancellationToken).ConfigureAwait(false);
                    crc = Crc64Xz.Append(crc, buffer.AsSpan(0, read));
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    sent += read;
                    progress?.Report(sent);
                }

                SentCrc64 = crc;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private async Task<int> ReadAsync(Memory<byte> buffer, long sent, CancellationToken cancellationToken)
        {
            try
            {
                var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException($"The stream ended after {sent} of {length} bytes; it was changed during the upload.");
                }

                // Checked before the last bytes go, so that the server never gets a whole body: a file that grew
                // while it was sent would otherwise be stored cut at its old length, and reported uploaded.
                if (sent + read == length && source.Length != sourceLength)
                {
                    throw new IOException(
                        $"The stream is {source.Length} bytes now, {sourceLength} when the upload started; it was changed during the upload.");
                }

                return read;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                SourceFailure = e;
                throw;
            }
        }

        protected override bool TryComputeLength(out long computed)
        {
            computed = length;
            return true;
        }
    }
}
