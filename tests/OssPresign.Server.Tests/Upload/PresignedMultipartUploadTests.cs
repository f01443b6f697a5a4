using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using OssPresign.Upload;

namespace OssPresign.Server.Tests.Upload;

/// <summary>
/// The library's multipart flow through presigned URLs on a real server: the owner initiates and presigns, the uploader
/// (no credentials) sends the parts in parallel with retries and completes.
/// </summary>
public sealed class PresignedMultipartUploadTests
{
    private const string Bucket = "examplebucket";
    private const int PartSize = (int)PresignedMultipartUpload.MinPartSize;

    [Fact]
    public async Task UploadParts_SendsEveryPartAndCompletes_TheObjectIsTheFile()
    {
        await using var t = await TestServer.StartAsync();
        var bytes = TestServer.RandomBytes((3 * PartSize) + 17);
        var path = await WriteFileAsync(bytes);
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { MaxConcurrentParts = 3, TimeProvider = t.Time });
            var initiate = await t.Client.PresignAsync(new InitiateMultipartUploadRequest { Bucket = Bucket, Key = "big/file.bin", ContentType = "application/x-test" });
            var uploadId = await uploader.InitiateMultipartUploadAsync(initiate);
            var upload = await t.Client.PresignMultipartUploadAsync(Bucket, "big/file.bin", uploadId, bytes.Length, PartSize, new PresignOptions { Expires = TimeSpan.FromHours(1) });
            var reports = new List<long>();

            var result = await uploader.UploadPartsAsync(upload, path, new SyncProgress(reports));

            Assert.Equal(200, result.StatusCode);
            Assert.Equal($"\"{ExpectedETag(bytes, PartSize)}\"", result.ETag);
            Assert.Equal(bytes.Length, result.BytesSent);
            Assert.Equal(bytes.Length, reports[^1]);
            Assert.True(reports.Zip(reports.Skip(1)).All(pair => pair.First < pair.Second), "The reports went down or repeated.");
            using var get = await t.GetAsync(Bucket, "big/file.bin");
            Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
            Assert.Equal("application/x-test", get.Content.Headers.ContentType?.ToString());
            Assert.Equal(result.HashCrc64Ecma, TestServer.Single(get.Headers, "x-oss-hash-crc64ecma"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task PresignedUpload_HandedOverAsJson_StillUploads()
    {
        await using var t = await TestServer.StartAsync();
        var bytes = TestServer.RandomBytes(PartSize + 1);
        var path = await WriteFileAsync(bytes);
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time });
            var json = JsonSerializer.Serialize(await StartAsync(t, uploader, "json.bin", bytes.Length));

            // What a browser or another service would receive from the owner's backend.
            var handedOver = JsonSerializer.Deserialize<PresignedMultipartUpload>(json)!;
            var result = await uploader.UploadPartsAsync(handedOver, path);

            Assert.Equal(200, result.StatusCode);
            using var get = await t.GetAsync(Bucket, "json.bin");
            Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UploadParts_APartAnswered503_IsRetried_AndTheUploadCompletes()
    {
        await using var t = await TestServer.StartAsync();
        var bytes = TestServer.RandomBytes((2 * PartSize) + 5);
        var path = await WriteFileAsync(bytes);
        try
        {
            var failing = new FailFirstAttemptOfPart(2) { InnerHandler = new SocketsHttpHandler() };
            using var http = new HttpClient(failing);
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { InitialRetryDelay = TimeSpan.Zero, TimeProvider = t.Time });
            var upload = await StartAsync(t, uploader, "retried.bin", bytes.Length);

            var result = await uploader.UploadPartsAsync(upload, path);

            Assert.Equal(200, result.StatusCode);
            Assert.Equal(1, failing.Failures);
            using var get = await t.GetAsync(Bucket, "retried.bin");
            Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UploadParts_APartRefused_NamesThePart()
    {
        await using var t = await TestServer.StartAsync();
        var bytes = TestServer.RandomBytes((2 * PartSize) + 5);
        var path = await WriteFileAsync(bytes);
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { MaxConcurrentParts = 1, TimeProvider = t.Time });
            var upload = await StartAsync(t, uploader, "refused.bin", bytes.Length);

            // Part 3's URL is changed after signing: OSS refuses it, and the exception says which part it was.
            var parts = upload.Parts.ToArray();
            parts[2] = parts[2] with { Url = System.Text.RegularExpressions.Regex.Replace(parts[2].Url, "x-oss-signature=[0-9a-f]{64}", "x-oss-signature=" + new string('0', 64)) };
            var error = await Assert.ThrowsAsync<OssRequestFailedException>(() => uploader.UploadPartsAsync(upload with { Parts = parts }, path));

            Assert.Equal(3, error.PartNumber);
            Assert.Equal("SignatureDoesNotMatch", error.Code);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UploadParts_RecordWhosePartUrlsWereSwappedOrReplaced_IsRefusedBeforeAnythingIsSent()
    {
        // Swapped URLs put each part's bytes in the other part; a plain PUT URL as a part would replace the object.
        await using var t = await TestServer.StartAsync();
        var bytes = TestServer.RandomBytes((2 * PartSize) + 5);
        var path = await WriteFileAsync(bytes);
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time });
            var upload = await StartAsync(t, uploader, "tampered.bin", bytes.Length);
            var other = await StartAsync(t, uploader, "other.bin", bytes.Length);
            var put = await t.Client.PresignAsync(new PutObjectRequest { Bucket = Bucket, Key = "tampered.bin" });
            var cases = new (PresignedMultipartUpload Upload, string Message)[]
            {
                (upload with { Parts = [upload.Parts[1], upload.Parts[0], upload.Parts[2]] }, $"The URL of part 1 is for part 2 of upload '{upload.UploadId}', not part 1 of upload '{upload.UploadId}'"),
                (upload with { Parts = [upload.Parts[0], other.Parts[1], upload.Parts[2]] }, $"The URL of part 2 is for part 2 of upload '{other.UploadId}', not part 2 of upload '{upload.UploadId}'"),
                (upload with { Parts = [upload.Parts[0], upload.Parts[1], put] }, $"The URL of part 3 is for upload '(none)', not part 3 of upload '{upload.UploadId}'"),
                (upload with { Complete = other.Complete }, $"The completion's URL is for upload '{other.UploadId}', not upload '{upload.UploadId}' with no part number"),
            };

            foreach (var (tampered, message) in cases)
            {
                var error = await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadPartsAsync(tampered, path));

                Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
            }

            Assert.Empty(t.BodyFiles());
            using var get = await t.GetAsync(Bucket, "tampered.bin");
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UploadParts_RecordWithPartsSmallerThanOssCompletes_IsRefusedBeforeAnythingIsSent()
    {
        // Made by hand from presigned UploadParts: OSS would take every part and refuse the completion (EntityTooSmall).
        await using var t = await TestServer.StartAsync();
        const int smallPart = 50 * 1024;
        var bytes = TestServer.RandomBytes(3 * smallPart);
        var path = await WriteFileAsync(bytes);
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time });
            var initiated = await StartAsync(t, uploader, "small-parts.bin", bytes.Length);
            var parts = new List<PresignResult>();
            for (var number = 1; number <= 3; number++)
            {
                parts.Add(await t.Client.PresignAsync(new UploadPartRequest { Bucket = Bucket, Key = "small-parts.bin", UploadId = initiated.UploadId, PartNumber = number }));
            }

            var handMade = initiated with { PartSize = smallPart, Parts = parts };

            var error = await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadPartsAsync(handMade, path));

            Assert.StartsWith($"The upload's part size is {smallPart} bytes; every part but the last must be 102400 bytes", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UploadParts_EmptyFile_IsOnePartOfNoBytes()
    {
        await using var t = await TestServer.StartAsync();
        var path = await WriteFileAsync([]);
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time });
            var upload = await StartAsync(t, uploader, "empty.bin", 0);

            var result = await uploader.UploadPartsAsync(upload, path);

            Assert.Single(upload.Parts);
            Assert.Equal(200, result.StatusCode);
            using var get = await t.GetAsync(Bucket, "empty.bin");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Empty(await get.Content.ReadAsByteArrayAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UploadParts_FileOfAnotherSize_IsRefusedBeforeAnythingIsSent()
    {
        await using var t = await TestServer.StartAsync();
        var path = await WriteFileAsync(TestServer.RandomBytes(PartSize));
        try
        {
            using var http = new HttpClient();
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = t.Time });
            var upload = await StartAsync(t, uploader, "a.bin", PartSize + 1);

            var error = await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadPartsAsync(upload, path));

            Assert.Contains($"The file is {PartSize} bytes, but the upload was presigned for {PartSize + 1} bytes.", error.Message, StringComparison.Ordinal);
            Assert.Empty(t.BodyFiles());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task InitiateThroughAnExpiredUrl_IsTheServersAccessDenied()
    {
        await using var t = await TestServer.StartAsync();
        var initiate = await t.Client.PresignAsync(new InitiateMultipartUploadRequest { Bucket = Bucket, Key = "late.bin" }, new PresignOptions { Expires = TimeSpan.FromMinutes(1) });
        t.Time.Advance(TimeSpan.FromMinutes(2));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<OssRequestFailedException>(() => new PresignedUploader(http).InitiateMultipartUploadAsync(initiate));

        Assert.Equal(403, error.StatusCode);
        Assert.Equal("AccessDenied", error.Code);
    }

    /// <summary>What the owner does: initiate through a presigned URL, then presign the parts of <paramref name="size"/> bytes.</summary>
    private static async Task<PresignedMultipartUpload> StartAsync(TestServer t, PresignedUploader uploader, string key, long size)
    {
        var uploadId = await uploader.InitiateMultipartUploadAsync(await t.Client.PresignAsync(new InitiateMultipartUploadRequest { Bucket = Bucket, Key = key }));
        return await t.Client.PresignMultipartUploadAsync(Bucket, key, uploadId, size, PartSize);
    }

    private static async Task<string> WriteFileAsync(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), "oss-multipart-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }

    /// <summary>S3's rule, written out here: MD5 of the parts' MD5s, "-", the count.</summary>
    private static string ExpectedETag(byte[] bytes, int partSize)
    {
        var parts = bytes.Chunk(partSize).ToList();
        return Convert.ToHexString(MD5.HashData(parts.SelectMany(MD5.HashData).ToArray())) + "-" + parts.Count.ToString(CultureInfo.InvariantCulture);
    }

    private sealed class SyncProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }

    /// <summary>Answers 503 to the first attempt of one part, without sending it on: a server hiccup.</summary>
    private sealed class FailFirstAttemptOfPart(int partNumber) : DelegatingHandler
    {
        private int _failures;

        public int Failures => _failures;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri!.Query.Contains($"partNumber={partNumber}&", StringComparison.Ordinal) && Interlocked.CompareExchange(ref _failures, 1, 0) == 0
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("<Error><Code>ServiceUnavailable</Code></Error>") })
                : base.SendAsync(request, cancellationToken);
    }
}
