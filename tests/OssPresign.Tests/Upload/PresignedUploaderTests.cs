using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Upload;

namespace OssPresign.Tests.Upload;

public sealed class PresignedUploaderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static async Task<PresignResult> PresignPutAsync(FakeTimeProvider time, TimeSpan validity, string? contentType = null, string key = "dir/file.bin")
    {
        var client = new OssClient(new OssClientOptions
        {
            Region = "cn-hangzhou",
            Endpoint = new Uri("http://127.0.0.1:9000"),
            CredentialsProvider = new StaticCredentialsProvider("id", "secret"),
            TimeProvider = time,
        });
        return await client.PresignAsync(
            new PutObjectRequest { Bucket = "examplebucket", Key = key, ContentType = contentType },
            new PresignOptions { Expires = validity });
    }

    private static byte[] Body(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7))];

    /// <summary>Advances the fake clock in small steps until the upload ends, so backoff waits elapse without real time passing.</summary>
    private static async Task<T> RunAsync<T>(Task<T> upload, FakeTimeProvider time)
    {
        for (var steps = 0; !upload.IsCompleted && steps < 100_000; steps++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        return await upload;
    }

    [Fact]
    public async Task Upload_SendsExactlyTheSignedHeadersAndTheWholeBody()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1), contentType: "text/plain");
        var handler = new RecordingHandler(_ => Ok());
        var body = Body(300_000);

        var result = await new PresignedUploader(new HttpClient(handler)).UploadAsync(presigned, new MemoryStream(body));

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.Equal(presigned.Url, request.Url);
        Assert.Equal(body, request.Body);
        Assert.Equal(body.Length, request.ContentLength);
        Assert.Equal("text/plain", request.ContentType);
        Assert.DoesNotContain(request.Headers, h => h.Key.StartsWith("x-oss-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("\"ETAG\"", result.ETag);
        Assert.Equal("request-1", result.RequestId);
        Assert.Equal(Crc64Xz.Append(Crc64Xz.Empty, body).ToString(System.Globalization.CultureInfo.InvariantCulture), result.HashCrc64Ecma);
        Assert.Equal(body.Length, result.BytesSent);
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public async Task Upload_WithoutContentType_SendsNone()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(_ => Ok());

        await new PresignedUploader(new HttpClient(handler)).UploadAsync(presigned, new MemoryStream(Body(10)));

        Assert.Null(Assert.Single(handler.Requests).ContentType);
    }

    [Fact]
    public async Task Upload_UrlWithDotSegments_IsSentUnchanged()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1), key: "a/./b/../c~d");
        var handler = new RecordingHandler(_ => Ok());

        await new PresignedUploader(new HttpClient(handler)).UploadAsync(presigned, new MemoryStream(Body(10)));

        Assert.Contains("/examplebucket/a/./b/../c~d?", Assert.Single(handler.Requests).Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_UrlAndHeaders_SendsRawHeaderValuesOnTheRightCollections()
    {
        var handler = new RecordingHandler(_ => Ok());
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = "text/plain;charset=UTF-8",
            ["Content-MD5"] = "1B2M2Y8AsgTpgAmY7PhCfg==",
            ["x-oss-meta-author"] = "alice",
            ["Content-Length"] = "0",
        };

        await new PresignedUploader(new HttpClient(handler)).UploadAsync("http://127.0.0.1:9000/b/k?x=1", headers, new MemoryStream());

        var request = Assert.Single(handler.Requests);
        Assert.Equal("text/plain;charset=UTF-8", request.ContentType);
        Assert.Equal("1B2M2Y8AsgTpgAmY7PhCfg==", request.Headers["Content-MD5"]);
        Assert.Equal("alice", request.Headers["x-oss-meta-author"]);
        Assert.Equal(0, request.ContentLength);
    }

    [Fact]
    public async Task Upload_ReportsProgressUpToTheLength()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var reports = new List<long>();

        await new PresignedUploader(new HttpClient(new RecordingHandler(_ => Ok())), new PresignedUploaderOptions { BufferSize = 4096 })
            .UploadAsync(presigned, new MemoryStream(Body(10_000)), new SyncProgress(reports.Add));

        Assert.Equal(0, reports[0]);
        Assert.Equal(10_000, reports[^1]);
        Assert.True(reports.Count >= 4);
        Assert.Equal(reports.Order(), reports);
    }

    [Fact]
    public async Task Upload_FromTheStreamPosition_SendsTheRest()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(_ => Ok());
        var body = Body(1000);
        var stream = new MemoryStream(body) { Position = 100 };

        await new PresignedUploader(new HttpClient(handler)).UploadAsync(presigned, stream);

        Assert.Equal(body[100..], Assert.Single(handler.Requests).Body);
    }

    [Fact]
    public async Task Upload_ServerErrorThenSuccess_RetriesAfterTheBackoffWithTheWholeBodyAgain()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(attempt => attempt == 1 ? Error(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable") : Ok(), time);
        var body = Body(50_000);

        var result = await RunAsync(new PresignedUploader(new HttpClient(handler), new PresignedUploaderOptions { TimeProvider = time })
            .UploadAsync(presigned, new MemoryStream(body)), time);

        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(body, r.Body));
        Assert.True(handler.Requests[1].At - handler.Requests[0].At >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Upload_ConnectionFailureThenSuccess_Retries()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(
            attempt => attempt == 1 ? throw new HttpRequestException(HttpRequestError.ConnectionError, "connection refused") : Ok(), time);

        var result = await RunAsync(new PresignedUploader(new HttpClient(handler), new PresignedUploaderOptions { TimeProvider = time })
            .UploadAsync(presigned, new MemoryStream(Body(10))), time);

        Assert.Equal(2, result.Attempts);
    }

    [Fact]
    public async Task Upload_ServerErrorsUntilTheUrlExpires_StopsRetryingBeforeExpiry()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromSeconds(10));
        var handler = new RecordingHandler(_ => Error(HttpStatusCode.InternalServerError, "InternalError"), time);
        var uploader = new PresignedUploader(new HttpClient(handler), new PresignedUploaderOptions { TimeProvider = time, MaxAttempts = 20 });

        var error = await Assert.ThrowsAsync<OssRequestFailedException>(() => RunAsync(uploader.UploadAsync(presigned, new MemoryStream(Body(10))), time));

        Assert.Equal(500, error.StatusCode);
        Assert.Equal("InternalError", error.Code);
        Assert.InRange(handler.Requests.Count, 2, 5);
        Assert.All(handler.Requests, r => Assert.True(r.At < presigned.Expiration));
    }

    [Fact]
    public async Task Upload_ServerErrorsBeyondMaxAttempts_ThrowsTheLastError()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(_ => Error(HttpStatusCode.BadGateway, "BadGateway"), time);
        var uploader = new PresignedUploader(new HttpClient(handler), new PresignedUploaderOptions { TimeProvider = time, MaxAttempts = 3 });

        var error = await Assert.ThrowsAsync<OssRequestFailedException>(() => RunAsync(uploader.UploadAsync(presigned, new MemoryStream(Body(10))), time));

        Assert.Equal(502, error.StatusCode);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Upload_Forbidden_ThrowsTheDecodedErrorWithoutRetrying()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(_ => Error(HttpStatusCode.Forbidden, "SignatureDoesNotMatch"));

        var error = await Assert.ThrowsAsync<OssRequestFailedException>(
            () => new PresignedUploader(new HttpClient(handler)).UploadAsync(presigned, new MemoryStream(Body(10))));

        Assert.Equal(403, error.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", error.Code);
        Assert.Equal("request-1", error.RequestId);
        Assert.Equal("0002-00000201", error.Ec);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Upload_CancelledDuringBackoff_ThrowsOperationCanceled()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        using var cancellation = new CancellationTokenSource();
        var handler = new RecordingHandler(_ =>
        {
            cancellation.Cancel();
            return Error(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new PresignedUploader(new HttpClient(handler), new PresignedUploaderOptions { TimeProvider = time })
            .UploadAsync(presigned, new MemoryStream(Body(10)), cancellationToken: cancellation.Token));
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Upload_FromFile_StreamsIt()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(_ => Ok());
        var path = Path.GetTempFileName();
        try
        {
            var body = Body(200_000);
            await File.WriteAllBytesAsync(path, body);

            var result = await new PresignedUploader(new HttpClient(handler)).UploadFileAsync(presigned, path);

            Assert.Equal(body, Assert.Single(handler.Requests).Body);
            Assert.Equal(body.Length, result.BytesSent);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Upload_BadArguments_Throw()
    {
        var time = new FakeTimeProvider(Start);
        var put = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var uploader = new PresignedUploader(new HttpClient(new RecordingHandler(_ => Ok())));

        await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadAsync(put with { Method = "GET" }, new MemoryStream()));
        await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadAsync(put, new NonSeekableStream()));
        await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadAsync(put.Url, [new("Content-Length", "5")], new MemoryStream(Body(4))));
        await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadAsync("not a url", [], new MemoryStream()));
        await Assert.ThrowsAsync<FileNotFoundException>(() => uploader.UploadFileAsync(put, Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));
    }

    [Fact]
    public async Task UploadFile_OfAFolder_IsAnArgumentExceptionSayingSo_NotAccessDenied()
    {
        var put = await PresignPutAsync(new FakeTimeProvider(Start), TimeSpan.FromHours(1));
        var handler = new RecordingHandler(_ => Ok());
        var uploader = new PresignedUploader(new HttpClient(handler));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadFileAsync(put, Path.GetTempPath()));

        Assert.Contains("is a folder, not a file", error.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData("x-oss-meta-note", "a\r\nx-oss-meta-injected: 1", "a control character (U+000D) at index 1")]
    [InlineData("Content-Type", "text/plain\n", "a control character (U+000A) at index 10")]
    [InlineData("x-oss-meta-title", "Résumé", "a non-ASCII character (U+00E9) at index 1")]
    public async Task Upload_HeaderValueThatCannotBeSent_IsRefusedBeforeAnythingIsSent(string name, string value, string problem)
    {
        // HttpClient would send CR LF raw, and refuse a non-ASCII value only as it sends, in an error the uploader retried.
        var handler = new RecordingHandler(_ => Ok());

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => new PresignedUploader(new HttpClient(handler)).UploadAsync("http://127.0.0.1:9000/b/k?x=1", [new(name, value)], new MemoryStream(Body(10))));

        Assert.Equal("headers", error.ParamName);
        Assert.StartsWith($"The value of header '{name}' has {problem}", error.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData("x-oss-meta-bad name")]
    [InlineData("x-oss-meta-a:b")]
    public async Task Upload_HeaderNameThatIsNotAToken_IsRefusedBeforeAnythingIsSent(string name)
    {
        var handler = new RecordingHandler(_ => Ok());

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => new PresignedUploader(new HttpClient(handler)).UploadAsync("http://127.0.0.1:9000/b/k?x=1", [new(name, "v")], new MemoryStream(Body(10))));

        Assert.StartsWith($"Header name '{name}' is not valid", error.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Upload_PresignResultMadeByHandWithAnUnsendableHeader_IsRefusedToo()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new RecordingHandler(_ => Ok());
        var forged = presigned with { SignedHeaders = new Dictionary<string, string> { ["x-oss-meta-a"] = "1\n2" } };

        await Assert.ThrowsAsync<ArgumentException>(() => new PresignedUploader(new HttpClient(handler)).UploadAsync(forged, new MemoryStream(Body(10))));
        await Assert.ThrowsAsync<ArgumentException>(() => new PresignedUploader(new HttpClient(handler)).InitiateMultipartUploadAsync(forged with { Method = "POST" }));
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Upload_HttpClientTimeoutOnEveryAttempt_IsATaskCanceledExceptionWithATimeoutInside()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new HangingHandler();
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMilliseconds(100) };
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { MaxAttempts = 2, InitialRetryDelay = TimeSpan.Zero, TimeProvider = time });

        var error = await Assert.ThrowsAsync<TaskCanceledException>(() => uploader.UploadAsync(presigned, new MemoryStream(Body(10))));

        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Equal(2, handler.Attempts);
    }

    [Fact]
    public async Task Upload_CancelledByTheCaller_IsACancellationWithoutATimeoutInside_AndNotRetried()
    {
        var time = new FakeTimeProvider(Start);
        var presigned = await PresignPutAsync(time, TimeSpan.FromHours(1));
        var handler = new HangingHandler();
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { InitialRetryDelay = TimeSpan.Zero, TimeProvider = time });

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => uploader.UploadAsync(presigned, new MemoryStream(Body(10)), cancellationToken: cancellation.Token));

        Assert.IsNotType<TimeoutException>(error.InnerException);
        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(1, handler.Attempts);
    }

    [Fact]
    public void Constructor_OptionsOutOfRange_AreRefusedSayingTheRange()
    {
        var cases = new (PresignedUploaderOptions Options, string Message)[]
        {
            (new() { MaxAttempts = 0 }, "MaxAttempts must be at least 1 (1 turns retries off); it is 0."),
            (new() { BufferSize = 1023 }, "BufferSize must be at least 1024 bytes; it is 1023."),
            (new() { MaxConcurrentParts = 0 }, "MaxConcurrentParts must be at least 1; it is 0."),
            (new() { MaxConcurrentParts = -4 }, "MaxConcurrentParts must be at least 1; it is -4."),
            (new() { InitialRetryDelay = TimeSpan.FromSeconds(-1) }, "InitialRetryDelay must be from 0 to 7 days, the longest a presigned URL is valid; it is -00:00:01."),
            (new() { InitialRetryDelay = TimeSpan.MaxValue }, "InitialRetryDelay must be from 0 to 7 days, the longest a presigned URL is valid; it is 10675199.02:48:05.4775807."),
            (new() { MaxRetryDelay = TimeSpan.FromSeconds(-1) }, "MaxRetryDelay must be from 0 to 7 days, the longest a presigned URL is valid; it is -00:00:01."),
            (new() { MaxRetryDelay = TimeSpan.FromDays(7) + TimeSpan.FromTicks(1) }, "MaxRetryDelay must be from 0 to 7 days, the longest a presigned URL is valid; it is 7.00:00:00.0000001."),
        };

        foreach (var (options, message) in cases)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PresignedUploader(new HttpClient(), options));

            Assert.Equal("options", error.ParamName);
            Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Constructor_OptionsAtTheEdgesOfTheirRanges_AreAccepted() =>
        _ = new PresignedUploader(new HttpClient(), new PresignedUploaderOptions
        {
            MaxAttempts = 1,
            BufferSize = 1024,
            MaxConcurrentParts = 1,
            InitialRetryDelay = TimeSpan.Zero,
            MaxRetryDelay = TimeSpan.FromDays(7),
        });

    private static HttpResponseMessage Ok()
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
        response.Headers.TryAddWithoutValidation("ETag", "\"ETAG\"");
        response.Headers.TryAddWithoutValidation("x-oss-request-id", "request-1");
        return response;
    }

    private static HttpResponseMessage Error(HttpStatusCode status, string code)
    {
        var xml = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>It failed.</Message>" +
            "<RequestId>request-1</RequestId><HostId>127.0.0.1</HostId><EC>0002-00000201</EC></Error>";
        return new HttpResponseMessage(status) { Content = new StringContent(xml, Encoding.UTF8, "application/xml") };
    }

    private sealed record SentRequest(HttpMethod Method, string Url, Dictionary<string, string> Headers, string? ContentType, long? ContentLength, byte[] Body, DateTimeOffset At);

    /// <summary>Reads each request's body (as a server would) and answers with <c>respond(attempt)</c>.</summary>
    private sealed class RecordingHandler(Func<int, HttpResponseMessage> respond, TimeProvider? time = null) : HttpMessageHandler
    {
        public List<SentRequest> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = new MemoryStream();
            if (request.Content is not null)
            {
                await request.Content.CopyToAsync(body, cancellationToken);
            }

            var headers = request.Headers.NonValidated.Concat(request.Content?.Headers.NonValidated ?? default)
                .ToDictionary(h => h.Key, h => string.Join(',', h.Value), StringComparer.OrdinalIgnoreCase);
            Requests.Add(new SentRequest(
                request.Method,
                request.RequestUri!.OriginalString,
                headers,
                headers.GetValueOrDefault("Content-Type"),
                request.Content?.Headers.ContentLength,
                body.ToArray(),
                (time ?? TimeProvider.System).GetUtcNow()));
            var response = respond(Requests.Count);
            if (response.IsSuccessStatusCode)
            {
                // As OSS does: the CRC-64 of the body stored, which the uploader checks against what it sent.
                response.Headers.TryAddWithoutValidation(
                    "x-oss-hash-crc64ecma", Crc64Xz.Append(Crc64Xz.Empty, body.ToArray()).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return response;
        }
    }

    /// <summary>Never answers: each attempt ends only when HttpClient's timeout or the caller's token cancels it.</summary>
    private sealed class HangingHandler : HttpMessageHandler
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            throw new InvalidOperationException("Unreachable: the delay only ends by cancellation.");
        }
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    private sealed class NonSeekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
