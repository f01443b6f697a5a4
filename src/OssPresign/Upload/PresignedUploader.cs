using System.Buffers;
using System.Net;
using OssPresign.Signing;

namespace OssPresign.Upload;

/// <summary>
/// Uploads a file or stream through a presigned PUT URL: streams the body (never whole in memory), sets
/// Content-Length, sends exactly the headers it is given, reports progress and retries connection failures and 5xx
/// answers with exponential backoff while the URL is still valid. Thread-safe; one instance can run many uploads.
/// </summary>
/// <remarks>
/// OSS rebuilds the signature from the Content-Type, Content-MD5 and <c>x-oss-*</c> headers it receives
/// (OSS-V4.md §1.7), so the uploader adds none of its own: without a Content-Type header, none is sent. The
/// <see cref="HttpClient"/>'s <see cref="HttpClient.Timeout"/> bounds each attempt; for large files give it
/// <see cref="Timeout.InfiniteTimeSpan"/> and cancel with the token instead.
/// </remarks>
public sealed class PresignedUploader
{
    private readonly HttpClient _http;
    private readonly PresignedUploaderOptions _options;

    /// <summary>Creates an uploader that sends through <paramref name="httpClient"/>.</summary>
    /// <param name="httpClient">The client; the uploader does not dispose it.</param>
    /// <param name="options">Retries and clock; defaults when null.</param>
    public PresignedUploader(HttpClient httpClient, PresignedUploaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _http = httpClient;
        _options = options ?? new PresignedUploaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxAttempts, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BufferSize, 1024, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.InitialRetryDelay, TimeSpan.Zero, nameof(options));
        ArgumentNullException.ThrowIfNull(_options.TimeProvider, nameof(options));
    }

    /// <summary>Uploads <paramref name="content"/> from its current position to its end through a presigned PUT.</summary>
    /// <param name="presigned">The presigned PUT; its <see cref="PresignResult.SignedHeaders"/> are sent as they are.</param>
    /// <param name="content">A readable, seekable stream (seekable so that its length is known and a retry can rewind it); not disposed.</param>
    /// <param name="progress">Receives the bytes sent so far in the current attempt; starts again from 0 on a retry.</param>
    /// <param name="cancellationToken">Cancels the upload, including a wait between attempts.</param>
    /// <returns>ETag, request id and checksums.</returns>
    /// <exception cref="ArgumentException">The URL is not presigned for PUT, or the stream is not readable and seekable.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload, or still failed with 5xx after the retries.</exception>
    /// <exception cref="HttpRequestException">The connection still failed after the retries.</exception>
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
    /// <exception cref="ArgumentException">The URL is not an absolute http(s) URL, a header is malformed, or the stream is not readable and seekable.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload, or still failed with 5xx after the retries.</exception>
    /// <exception cref="HttpRequestException">The connection still failed after the retries.</exception>
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
        var headerList = headers.ToList();
        var length = content.Length - content.Position;
        foreach (var (name, value) in headerList)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && (!long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var declared) || declared != length))
            {
                throw new ArgumentException($"The Content-Length header says {value} but {length} bytes are to be sent.", nameof(headers));
            }
        }

        return SendWithRetriesAsync(url, requestUri, headerList, content, length, progress, cancellationToken);
    }

    /// <summary>Uploads a file through a presigned PUT, reading it as it is sent.</summary>
    /// <param name="presigned">The presigned PUT; its <see cref="PresignResult.SignedHeaders"/> are sent as they are.</param>
    /// <param name="path">The file.</param>
    /// <param name="progress">Receives the bytes sent so far in the current attempt.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>ETag, request id and checksums.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload.</exception>
    /// <exception cref="HttpRequestException">The connection still failed after the retries.</exception>
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
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OssRequestFailedException">OSS refused the upload.</exception>
    /// <exception cref="HttpRequestException">The connection still failed after the retries.</exception>
    public async Task<PresignedUploadResult> UploadFileAsync(
        string url, IEnumerable<KeyValuePair<string, string>> headers, string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        // No FileStream buffer: the body is copied in BufferSize chunks, which a second buffer would only copy again.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            return await UploadAsync(url, headers, file, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void ThrowIfNotPut(PresignResult presigned)
    {
        if (!presigned.Method.Equals("PUT", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The URL is presigned for {presigned.Method}; an upload needs a URL presigned for PUT.", nameof(presigned));
        }
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

    private async Task<PresignedUploadResult> SendWithRetriesAsync(
        string url, Uri requestUri, List<KeyValuePair<string, string>> headers, Stream content, long length, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        // A URL that is not V4 (e.g. V1) still uploads; its expiry is then unknown and only MaxAttempts bounds retries.
        DateTimeOffset? expiresOn = PresignedUrl.TryParse(url, out var parsed, out _) ? parsed!.ExpiresOn : null;
        var start = content.Position;
        var delay = _options.InitialRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            content.Seek(start, SeekOrigin.Begin);
            using var request = CreateRequest(requestUri, headers, new UploadContent(content, start, length, _options.BufferSize, progress));
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && CanRetry(attempt, delay, expiresOn))
            {
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                delay = NextDelay(delay);
                continue;
            }

            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    return new PresignedUploadResult(
                        (int)response.StatusCode,
                        Header(response, "ETag"),
                        Header(response, "x-oss-request-id"),
                        Header(response, "x-oss-hash-crc64ecma"),
                        Header(response, "x-oss-version-id"),
                        Header(response, "Content-MD5"),
                        length,
                        attempt);
                }

                var error = await OssRequestFailedException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode < 500 || !CanRetry(attempt, delay, expiresOn))
                {
                    throw error;
                }
            }

            await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            delay = NextDelay(delay);
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

    private static HttpRequestMessage CreateRequest(Uri requestUri, List<KeyValuePair<string, string>> headers, UploadContent body)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, requestUri) { Content = body };
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

            // Raw values, unvalidated and unnormalized: the signature covers them byte for byte. Content headers
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
    /// it does not own the stream, so a retry can send it again.
    /// </summary>
    private sealed class UploadContent(Stream source, long start, long length, int bufferSize, IProgress<long>? progress) : HttpContent
    {
        public long Length => length;

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            source.Seek(start, SeekOrigin.Begin);
            var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                long sent = 0;
                progress?.Report(0);
                while (sent < length)
                {
                    var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - sent)), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException($"The stream ended after {sent} of {length} bytes; it was changed during the upload.");
                    }

                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    sent += read;
                    progress?.Report(sent);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override bool TryComputeLength(out long computed)
        {
            computed = length;
            return true;
        }
    }
}
