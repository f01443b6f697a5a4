using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Upload;

namespace OssPresign.Server.Tests.Upload;

/// <summary>
/// <see cref="PresignedUploader"/> against servers that misbehave: the local OSS server for what it does (a file that
/// changes under the upload), and a <see cref="FaultServer"/> for what it never does (redirects, 5xx with Retry-After,
/// a reset after the body).
/// </summary>
public sealed class PresignedUploaderFaultTests
{
    private static readonly DateTimeOffset Now = TestServer.Start;

    [Fact]
    public async Task Upload_RedirectedWith303_IsAnError_NotTheSuccessOfTheGetItBecame()
    {
        // HttpClient follows a 303 with a bodiless GET; its 200 read as a stored upload while nothing was stored.
        await using var server = await FaultServer.StartAsync(RedirectEveryWriteToAPage(HttpStatusCode.SeeOther));
        using var http = new HttpClient();
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now) });

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => uploader.UploadAsync(server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(1)), [], new MemoryStream(new byte[1000])));

        Assert.Equal(HttpRequestError.InvalidResponse, error.HttpRequestError);
        Assert.Contains("redirected the PUT to", error.Message, StringComparison.Ordinal);
        Assert.Contains("followed as a GET", error.Message, StringComparison.Ordinal);
        Assert.Equal(["PUT", "GET"], server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Initiate_RedirectedWith302_IsAnError_NotTheUploadIdOfTheGetItBecame()
    {
        await using var server = await FaultServer.StartAsync(RedirectEveryWriteToAPage(HttpStatusCode.Found));
        using var http = new HttpClient();
        var initiate = new PresignResult("POST", server.PresignedUrl("/examplebucket/a.bin?uploads", Now, TimeSpan.FromHours(1)), Now.AddHours(1), new Dictionary<string, string>());

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now) }).InitiateMultipartUploadAsync(initiate));

        Assert.Contains("redirected the POST to", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(403, "SignatureDoesNotMatch")]
    [InlineData(403, "AccessDenied")]
    [InlineData(403, "RequestTimeTooSkewed")]
    [InlineData(400, "InvalidArgument")]
    [InlineData(404, "NoSuchBucket")]
    [InlineData(501, "NotImplemented")]
    [InlineData(505, "HttpVersionNotSupported")]
    public async Task Upload_AnswerThatWouldBeTheSameAgain_IsNotRetried(int status, string code)
    {
        await using var server = await FaultServer.StartAsync((context, _) => FaultServer.OssError(context, status, code));
        using var http = new HttpClient();
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now), InitialRetryDelay = TimeSpan.Zero });

        var error = await Assert.ThrowsAsync<OssRequestFailedException>(
            () => uploader.UploadAsync(server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(1)), [], new MemoryStream(new byte[10])));

        Assert.Equal(status, error.StatusCode);
        Assert.Equal(code, error.Code);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    [InlineData(429)]
    public async Task Upload_AnswerThatMayDifferNextTime_IsRetried_WithTheWholeBodyAgain(int status)
    {
        await using var server = await FaultServer.StartAsync((context, n) => n == 1 ? FaultServer.OssError(context, status, "Busy") : Task.CompletedTask);
        using var http = new HttpClient();
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now), InitialRetryDelay = TimeSpan.Zero });
        var body = TestServer.RandomBytes(100_000);

        var result = await uploader.UploadAsync(server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(1)), [], new MemoryStream(body));

        Assert.Equal(2, result.Attempts);
        Assert.All(server.Requests, r => Assert.Equal(body, r.Body));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upload_503WithRetryAfter_WaitsAsLongAsAsked_InSecondsOrAsADate(bool asDate)
    {
        var time = new FakeTimeProvider(Now);
        var arrivals = new List<DateTimeOffset>();
        await using var server = await FaultServer.StartAsync((context, n) =>
        {
            arrivals.Add(time.GetUtcNow());
            if (n > 1)
            {
                return Task.CompletedTask;
            }

            context.Response.Headers.RetryAfter = asDate ? time.GetUtcNow().AddSeconds(120).ToString("R", CultureInfo.InvariantCulture) : "120";
            return FaultServer.OssError(context, 503, "ServiceUnavailable");
        });
        using var http = new HttpClient();
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = time, MaxRetryDelay = TimeSpan.FromMinutes(5) });

        var result = await AdvanceUntilDoneAsync(
            uploader.UploadAsync(server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(1)), [], new MemoryStream(new byte[10])), time);

        Assert.Equal(2, result.Attempts);
        // An HTTP date has whole seconds, so it can ask for up to a second less than meant.
        Assert.InRange(arrivals[1] - arrivals[0], TimeSpan.FromSeconds(asDate ? 119 : 120), TimeSpan.FromSeconds(125));
    }

    [Fact]
    public async Task Upload_503WithARetryAfterLongerThanMaxRetryDelay_GivesUpAtOnce_RatherThanComeBackEarly()
    {
        await using var server = await FaultServer.StartAsync((context, _) =>
        {
            context.Response.Headers.RetryAfter = "3600";
            return FaultServer.OssError(context, 503, "ServiceUnavailable");
        });
        using var http = new HttpClient();
        var time = new FakeTimeProvider(Now);
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = time, MaxRetryDelay = TimeSpan.FromSeconds(30) });

        var error = await Assert.ThrowsAsync<OssRequestFailedException>(() => AdvanceUntilDoneAsync(
            uploader.UploadAsync(server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(2)), [], new MemoryStream(new byte[10])), time));

        Assert.Equal(503, error.StatusCode);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Upload_ConnectionResetAfterTheWholeBody_IsRetried_AndTheRetrySendsTheWholeBody()
    {
        await using var server = await FaultServer.StartAsync((context, n) =>
        {
            if (n == 1)
            {
                context.Abort();
            }

            return Task.CompletedTask;
        });
        using var http = new HttpClient();
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now), InitialRetryDelay = TimeSpan.Zero });
        var body = TestServer.RandomBytes(300_000);

        var result = await uploader.UploadAsync(server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(1)), [], new MemoryStream(body));

        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(body, r.Body));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upload_200WithTheCrc64OfOtherBytes_IsAnIOException_NotASuccess(bool inParts)
    {
        // What a proxy or a bit flip on the way leaves: the server stored bytes other than those sent.
        await using var server = await FaultServer.StartAsync((context, _) =>
        {
            context.Response.Headers.ETag = "\"0123456789ABCDEF0123456789ABCDEF\"";
            context.Response.Headers["x-oss-hash-crc64ecma"] = "11051210869376104954";
            return context.Request.Method == "POST" ? context.Response.WriteAsync("<CompleteMultipartUploadResult><ETag>\"X-1\"</ETag></CompleteMultipartUploadResult>") : Task.CompletedTask;
        });
        using var http = new HttpClient();
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now) });
        var path = Path.Combine(Path.GetTempPath(), "oss-crc-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(path, "not 123456789");
        try
        {
            var upload = FaultUpload(server, new FileInfo(path).Length, PresignedMultipartUpload.MinPartSize);

            var error = await Assert.ThrowsAsync<IOException>(
                () => inParts ? uploader.UploadPartsAsync(upload, path) : uploader.UploadFileAsync(server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(1)), [], path));

            Assert.Contains("the CRC-64 of what it stored is 11051210869376104954", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(server.Requests, r => r.Method == "POST");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Upload_StreamPositionedPastItsEnd_IsAnArgumentException_BeforeAnythingIsSent()
    {
        await using var t = await TestServer.StartAsync();
        using var http = new HttpClient();
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time, InitialRetryDelay = TimeSpan.Zero });
        var put = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "past-the-end.bin" });
        var stream = new MemoryStream(new byte[1000]) { Position = 2000 };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadAsync(put, stream));

        Assert.Contains("The stream's position (2000) is past its end (1000)", error.Message, StringComparison.Ordinal);
        using var get = await t.GetAsync("examplebucket", "past-the-end.bin");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData(-50_000)]
    [InlineData(+1)]
    public async Task UploadFile_ThatChangesLengthDuringTheUpload_IsAnIOException_NotRetried_AndNothingIsStored(int change)
    {
        // A shrinking file was retried as a failed connection and ended as "Error while copying content to a stream";
        // a growing one was stored cut at its old length and reported uploaded.
        await using var t = await TestServer.StartAsync();
        var path = Path.Combine(Path.GetTempPath(), "oss-changing-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(path, TestServer.RandomBytes(200_000));
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time, BufferSize = 4096, InitialRetryDelay = TimeSpan.Zero });
            var put = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "changing.bin" });
            var changed = false;
            var changeOnce = new SyncProgress(sent =>
            {
                if (sent > 0 && !changed)
                {
                    changed = true;
                    using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                    file.SetLength(file.Length + change);
                }
            });

            var error = await Assert.ThrowsAsync<IOException>(() => uploader.UploadFileAsync(put, path, changeOnce));

            Assert.Contains("it was changed during the upload", error.Message, StringComparison.Ordinal);
            using var get = await t.GetAsync("examplebucket", "changing.bin");
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UploadParts_FileThatShrinksDuringTheUpload_IsAnIOExceptionNamingThePart()
    {
        await using var t = await TestServer.StartAsync();
        const int partSize = (int)PresignedMultipartUpload.MinPartSize;
        var path = Path.Combine(Path.GetTempPath(), "oss-changing-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(path, TestServer.RandomBytes(3 * partSize));
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time, MaxConcurrentParts = 1, BufferSize = 4096, InitialRetryDelay = TimeSpan.Zero });
            var uploadId = await uploader.InitiateMultipartUploadAsync(await t.Client.PresignAsync(new InitiateMultipartUploadRequest { Bucket = "examplebucket", Key = "parts.bin" }));
            var upload = await t.Client.PresignMultipartUploadAsync("examplebucket", "parts.bin", uploadId, 3 * partSize, partSize);
            var cutInPartTwo = new SyncProgress(sent =>
            {
                if (sent > partSize + 10_000 && new FileInfo(path).Length > partSize + 20_000)
                {
                    using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                    file.SetLength(partSize + 20_000);
                }
            });

            var error = await Assert.ThrowsAsync<IOException>(() => uploader.UploadPartsAsync(upload, path, cutInPartTwo));

            Assert.StartsWith("Part 2 of 3: The stream ended after", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Upload_CancelledMidBody_IsTheCallersCancellation_AndTheConnectionIsClosed()
    {
        var bodyEnded = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FaultServer.StartAsync(
            async (context, _) =>
            {
                // Reads slowly, so that the upload is still sending when it is cancelled.
                var buffer = new byte[16 * 1024];
                long read = 0;
                try
                {
                    int count;
                    while ((count = await context.Request.Body.ReadAsync(buffer)) > 0)
                    {
                        read += count;
                        await Task.Delay(1);
                    }
                }
                catch (IOException)
                {
                }

                bodyEnded.TrySetResult(read);
            },
            readBody: false);
        using var http = new HttpClient();
        using var cancellation = new CancellationTokenSource();
        var cancelAfterOneMiB = new SyncProgress(sent =>
        {
            if (sent >= 1024 * 1024)
            {
                cancellation.Cancel();
            }
        });
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now) });

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => uploader.UploadAsync(
            server.PresignedUrl("/examplebucket/a.bin", Now, TimeSpan.FromHours(1)), [], new MemoryStream(new byte[64 * 1024 * 1024]), cancelAfterOneMiB, cancellation.Token));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.IsNotType<TimeoutException>(error.InnerException);
        var serverRead = await bodyEnded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(serverRead, 0, (64 * 1024 * 1024) - 1);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task UploadParts_APartRefused_StopsThePartsInFlight_AndStartsNoOther()
    {
        await using var server = await FaultServer.StartAsync(async (context, _) =>
        {
            var query = context.Request.QueryString.Value!;
            if (query.Contains("partNumber=1&", StringComparison.Ordinal))
            {
                await FaultServer.OssError(context, 403, "AccessDenied");
            }
            else if (query.Contains("partNumber=2&", StringComparison.Ordinal))
            {
                // Never answers: only the uploader giving up on it ends it.
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            else
            {
                context.Response.Headers.ETag = "\"PART\"";
            }
        });
        const int partSize = (int)PresignedMultipartUpload.MinPartSize;
        var path = Path.Combine(Path.GetTempPath(), "oss-parts-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(path, new byte[6 * partSize]);
        try
        {
            var upload = FaultUpload(server, 6 * partSize, partSize);
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = new FakeTimeProvider(Now), MaxConcurrentParts = 2 });

            var error = await Assert.ThrowsAsync<OssRequestFailedException>(() => uploader.UploadPartsAsync(upload, path).WaitAsync(TimeSpan.FromSeconds(30)));

            Assert.Equal(1, error.PartNumber);
            Assert.Equal("AccessDenied", error.Code);
            // Part 2 may be cut before its body arrived whole (then the server has no record of it); 3 to 6 never start.
            Assert.Subset(new HashSet<string> { "partNumber=1", "partNumber=2" }, server.Requests.Select(r => r.Target.Split('?')[1].Split('&')[0]).ToHashSet());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A multipart upload of <paramref name="objectSize"/> bytes presigned (unverifiably) on <paramref name="server"/>, upload id "UP".</summary>
    private static PresignedMultipartUpload FaultUpload(FaultServer server, long objectSize, long partSize)
    {
        PresignResult Presigned(string method, string query) =>
            new(method, server.PresignedUrl("/examplebucket/a.bin?" + query, Now, TimeSpan.FromHours(1)), Now.AddHours(1), new Dictionary<string, string>());
        var parts = PresignedMultipartUpload.PartCount(objectSize, partSize);
        return new PresignedMultipartUpload(
            "examplebucket", "a.bin", "UP", objectSize, partSize,
            [.. Enumerable.Range(1, parts).Select(n => Presigned("PUT", $"partNumber={n}&uploadId=UP"))], Presigned("POST", "uploadId=UP"), Presigned("DELETE", "uploadId=UP"));
    }

    private static Func<HttpContext, int, Task> RedirectEveryWriteToAPage(HttpStatusCode status) => (context, _) =>
    {
        if (context.Request.Method is "GET")
        {
            context.Response.Headers.ETag = "\"PAGE\"";
            return context.Response.WriteAsync("<InitiateMultipartUploadResult><UploadId>not-an-upload</UploadId></InitiateMultipartUploadResult>");
        }

        context.Response.StatusCode = (int)status;
        context.Response.Headers.Location = "/elsewhere";
        return Task.CompletedTask;
    };

    /// <summary>Advances the fake clock in small steps until the upload ends, so retry waits pass without real time passing.</summary>
    private static async Task<T> AdvanceUntilDoneAsync<T>(Task<T> upload, FakeTimeProvider time)
    {
        for (var steps = 0; !upload.IsCompleted && steps < 100_000; steps++)
        {
            await Task.Delay(1);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        return await upload;
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
