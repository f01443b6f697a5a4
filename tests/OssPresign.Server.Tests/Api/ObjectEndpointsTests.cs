using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace OssPresign.Server.Tests.Api;

public sealed class ObjectEndpointsTests
{
    [Theory]
    [InlineData("bytes=10-19", 206, 10, 10)]
    [InlineData("bytes=90-", 206, 90, 10)]
    [InlineData("bytes=-5", 206, 95, 5)]
    [InlineData("bytes=95-500", 206, 95, 5)]
    [InlineData("bytes=100-200", 200, 0, 100)]
    [InlineData("bytes=20-10", 200, 0, 100)]
    [InlineData("bytes=0-1,5-6", 200, 0, 100)]
    public async Task RangeGet_ReturnsTheRange_OrTheWholeObjectWhenUnsatisfiable(string range, int status, int start, int length)
    {
        await using var t = await TestServer.StartAsync();
        var body = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        using var put = await t.PutAsync("examplebucket", "range.bin", body);
        var presigned = await t.Client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "range.bin" });
        var request = TestServer.Request(presigned);
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(body.AsSpan(start, length).ToArray(), await response.Content.ReadAsByteArrayAsync());
        if (status == 206)
        {
            Assert.Equal($"bytes {start}-{start + length - 1}/100", response.Content.Headers.ContentRange?.ToString());
        }
    }

    [Fact]
    public async Task RangeGet_StandardBehavior_UnsatisfiableIs416()
    {
        await using var t = await TestServer.StartAsync();
        using var put = await t.PutAsync("examplebucket", "range.bin", new byte[100]);
        var presigned = await t.Client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "range.bin", RangeBehavior = "standard" });
        var request = TestServer.Request(presigned);
        request.Headers.TryAddWithoutValidation("Range", "bytes=100-200");

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("InvalidRange", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task ConditionalGet_FollowsIfMatchIfNoneMatchIfModifiedSince()
    {
        await using var t = await TestServer.StartAsync();
        using var put = await t.PutAsync("examplebucket", "cond.txt", Encoding.ASCII.GetBytes("hello"));
        var etag = put.Headers.ETag!.Tag;
        var lastModified = TestServer.Start;

        var presigned = await t.Client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "cond.txt" });

        // Condition headers are not signed (OSS-V4.md §1.7), so one URL serves every variant.
        async Task<HttpStatusCode> GetAsync(string header, string value)
        {
            var request = TestServer.Request(presigned);
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await t.Http.SendAsync(request);
            return response.StatusCode;
        }

        static string Http(DateTimeOffset time) => time.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-Match", etag));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-Match", "*"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await GetAsync("If-Match", "\"0000\""));
        Assert.Equal(HttpStatusCode.NotModified, await GetAsync("If-None-Match", etag));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-None-Match", "\"0000\""));
        Assert.Equal(HttpStatusCode.NotModified, await GetAsync("If-Modified-Since", Http(lastModified)));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-Modified-Since", Http(lastModified.AddSeconds(-1))));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await GetAsync("If-Unmodified-Since", Http(lastModified.AddSeconds(-1))));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-Unmodified-Since", Http(lastModified)));

        // OSS, like S3, compares a tag's value whether or not it is quoted (the AWS SDK for Java v1 strips the quotes).
        // An unquoted tag is no RFC 9110 entity-tag, and the typed header parser dropped it, and the condition with it:
        // If-Match with a wrong unquoted ETag returned the object instead of 412.
        var unquoted = etag.Trim('"');
        Assert.Equal(HttpStatusCode.PreconditionFailed, await GetAsync("If-Match", "0000"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await GetAsync("If-Match", "not-an-etag"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-Match", unquoted));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-Match", $"\"0000\", {unquoted}"));
        Assert.Equal(HttpStatusCode.NotModified, await GetAsync("If-None-Match", unquoted));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("If-None-Match", "0000"));
    }

    [Fact]
    public async Task Get_AppliesResponseOverrides_AndReturnsStoredHeaders()
    {
        await using var t = await TestServer.StartAsync();
        var presignedPut = await t.Client.PresignAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "report.csv",
            ContentType = "text/csv",
            Metadata = new Dictionary<string, string> { ["Project"] = "oss" },
        });
        var putRequest = TestServer.Request(presignedPut, new ByteArrayContent([1]));

        // Not signed, so not in SignedHeaders: the uploader sends them itself (OSS-V4.md §1.7).
        putRequest.Content!.Headers.ContentDisposition = ContentDispositionHeaderValue.Parse("inline");
        putRequest.Headers.CacheControl = CacheControlHeaderValue.Parse("max-age=60");
        using (var put = await t.Http.SendAsync(putRequest))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (var plain = await t.GetAsync("examplebucket", "report.csv"))
        {
            Assert.Equal("text/csv", plain.Content.Headers.ContentType?.ToString());
            Assert.Equal("inline", plain.Content.Headers.ContentDisposition?.ToString());
            Assert.Equal("max-age=60", plain.Headers.CacheControl?.ToString());
            Assert.Equal("oss", TestServer.Single(plain.Headers, "x-oss-meta-project"));
            Assert.Equal(TestServer.Start, plain.Content.Headers.LastModified);
            Assert.Equal(TestServer.Start, plain.Headers.Date);
        }

        var presignedGet = await t.Client.PresignAsync(new GetObjectRequest
        {
            Bucket = "examplebucket",
            Key = "report.csv",
            ResponseContentType = "application/octet-stream",
            ResponseContentDisposition = "attachment; filename=\"r.csv\"",
            ResponseCacheControl = "no-store",
        });
        using var overridden = await t.Http.SendAsync(TestServer.Request(presignedGet));

        Assert.Equal("application/octet-stream", overridden.Content.Headers.ContentType?.ToString());
        Assert.Equal("attachment; filename=\"r.csv\"", overridden.Content.Headers.ContentDisposition?.ToString());
        Assert.Equal("no-store", overridden.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task HeadOfMissingKey_Is404WithTheErrorInXOssErr()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new HeadObjectRequest { Bucket = "examplebucket", Key = "missing.txt" });

        using var response = await t.Http.SendAsync(TestServer.Request(presigned));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var xml = XElement.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(TestServer.Single(response.Headers, "x-oss-err"))));
        Assert.Equal("NoSuchKey", xml.Element("Code")?.Value);
        Assert.Equal(TestServer.Single(response.Headers, "x-oss-request-id"), xml.Element("RequestId")?.Value);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ContentMd5_Mismatch_IsBadDigest_AndStoresNothing()
    {
        await using var t = await TestServer.StartAsync();
        var body = Encoding.ASCII.GetBytes("the body");
        var wrong = Convert.ToBase64String(MD5.HashData(Encoding.ASCII.GetBytes("another body")));
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "md5.txt", ContentMd5 = wrong });

        using var response = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent(body)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("BadDigest", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
        using var get = await t.GetAsync("examplebucket", "md5.txt");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(t.DataDirectory, "objects"), "*", SearchOption.AllDirectories));

        var right = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "md5.txt", ContentMd5 = Convert.ToBase64String(MD5.HashData(body)) });
        using var ok = await t.Http.SendAsync(TestServer.Request(right, new ByteArrayContent(body)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task ContentMd5_NotBase64Md5_IsInvalidDigest()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "md5.txt", ContentMd5 = "abc" });

        using var response = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1])));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidDigest", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task Get_OfAnHtmlObject_IsSandboxed_SoItCannotActAsThisServersOrigin()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "page.html", ContentType = "text/html" });
        using (var put = await t.Http.SendAsync(TestServer.Request(presigned, new StringContent("<script>alert(1)</script>", System.Text.Encoding.UTF8, "text/html"))))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var get = await t.GetAsync("examplebucket", "page.html");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("text/html", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal("sandbox", TestServer.Single(get.Headers, "Content-Security-Policy"));
    }

    [Fact]
    public async Task GetObjectMeta_GivesSizeETagAndLastModified_Only()
    {
        await using var t = await TestServer.StartAsync();
        using (var put = await t.PutAsync("examplebucket", "meta/of.bin", new byte[1234]))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var http = t.CreateSigningClient();
        using var meta = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri("/examplebucket/meta/of.bin?objectMeta", UriKind.Relative)));
        using var missing = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri("/examplebucket/meta/none.bin?objectMeta", UriKind.Relative)));
        using var get = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("/examplebucket/meta/of.bin?objectMeta", UriKind.Relative)));

        Assert.Equal(HttpStatusCode.OK, meta.StatusCode);
        Assert.Equal($"\"{Convert.ToHexString(System.Security.Cryptography.MD5.HashData(new byte[1234]))}\"", meta.Headers.ETag?.Tag);
        Assert.Equal(1234, meta.Content.Headers.ContentLength);
        Assert.NotNull(meta.Content.Headers.LastModified);
        Assert.False(meta.Headers.Contains("x-oss-meta-origin") || meta.Headers.Contains("x-oss-object-type"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotImplemented, get.StatusCode);
    }

    /// <summary>
    /// A header the object keeps is sent back on every GET and HEAD, and Kestrel refuses to send a control character
    /// (a 500 for every read of an object it had stored). Beyond ASCII, no two clients agree on the bytes, and the
    /// library will not sign such a value (<c>HttpHeaderRules</c>, the strict reading): refused too. Both are 400
    /// InvalidArgument before anything is stored, for user metadata with EC 0011-00000005, OSS's "the value of a user
    /// metadata header holds a character OSS does not support".
    /// </summary>
    [Theory]
    [InlineData("x-oss-meta-note", "a\u0001b", "0011-00000005")]
    [InlineData("x-oss-meta-note", "a\u007Fb", "0011-00000005")]
    [InlineData("x-oss-meta-note", "Grüße", "0011-00000005")]
    [InlineData("Content-Type", "text/plain\u0002", "LOCAL-0025")]
    [InlineData("Content-Disposition", "attachment; filename=\"报告.txt\"", "LOCAL-0025")]
    [InlineData("Content-Disposition", "inline\u001b", "LOCAL-0025")]
    [InlineData("Cache-Control", "no-cache\u0003", "LOCAL-0025")]
    public async Task StoredHeaderValues_WithAControlCharacterOrBeyondAscii_AreInvalidArgument_AndNothingIsStored(string header, string value, string ec)
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient(inner: new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 });
        HttpRequestMessage WithHeader(HttpMethod method, string url)
        {
            var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent([1]) };
            Assert.True(header.StartsWith("Content-", StringComparison.Ordinal)
                ? request.Content.Headers.TryAddWithoutValidation(header, value)
                : request.Headers.TryAddWithoutValidation(header, value));
            return request;
        }

        using var put = WithHeader(HttpMethod.Put, "/examplebucket/control.txt");
        using var initiate = WithHeader(HttpMethod.Post, "/examplebucket/control.txt?uploads");
        using var putResponse = await http.SendAsync(put);
        using var initiateResponse = await http.SendAsync(initiate);
        using var get = await t.GetAsync("examplebucket", "control.txt");
        using var uploads = await http.GetAsync(new Uri("/examplebucket/?uploads", UriKind.Relative));

        foreach (var response in new[] { putResponse, initiateResponse })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await TestServer.ErrorAsync(response);
            Assert.Equal("InvalidArgument", error.Element("Code")?.Value);
            Assert.Equal(ec, error.Element("EC")?.Value);
        }

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Empty(XElement.Parse(await uploads.Content.ReadAsStringAsync()).Elements("Upload"));
    }

    /// <summary>
    /// A <c>response-*</c> override is a query parameter, so beyond ASCII it arrives as UTF-8 without ambiguity (the
    /// documented way to name a download, e.g. in Chinese); it is sent back as those UTF-8 bytes, as OSS passes it
    /// through. It was a 500: Kestrel sends only ASCII unless told otherwise.
    /// </summary>
    [Fact]
    public async Task ResponseOverride_BeyondAscii_IsEchoedAsUtf8()
    {
        await using var t = await TestServer.StartAsync();
        using (var put = await t.PutAsync("examplebucket", "report.txt", [1]))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var http = new HttpClient(new SocketsHttpHandler { ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8 });
        const string Disposition = "attachment; filename=\"报告 Grüße.txt\"";
        var presigned = await t.Client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "report.txt", ResponseContentDisposition = Disposition });

        using var get = await http.SendAsync(TestServer.Request(presigned));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Disposition, string.Join(",", get.Content.Headers.GetValues("Content-Disposition")));
    }

    [Fact]
    public async Task ResponseOverride_WithAControlCharacter_IsInvalidArgument()
    {
        await using var t = await TestServer.StartAsync();
        using (var put = await t.PutAsync("examplebucket", "plain.txt", [1]))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var presigned = await t.Client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "plain.txt", ResponseContentType = "text/\u0001" });
        using var get = await t.Http.SendAsync(TestServer.Request(presigned));

        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        var error = await TestServer.ErrorAsync(get);
        Assert.Equal("InvalidArgument", error.Element("Code")?.Value);
        Assert.Equal("response-content-type", error.Element("ArgumentName")?.Value);
    }

    [Theory]
    [InlineData("x-oss-object-acl", "private", 200)]
    [InlineData("x-oss-object-acl", "default", 200)]
    [InlineData("x-oss-object-acl", "public-read", 501)]
    [InlineData("x-oss-object-acl", "bogus", 400)]
    [InlineData("x-oss-storage-class", "Standard", 200)]
    [InlineData("x-oss-storage-class", "IA", 501)]
    [InlineData("x-oss-storage-class", "Archive", 501)]
    [InlineData("x-oss-storage-class", "standard", 400)]
    [InlineData("x-oss-server-side-encryption", "AES256", 501)]
    [InlineData("x-oss-server-side-encryption", "aes", 400)]
    [InlineData("x-oss-tagging", "a=1", 501)]
    public async Task AclStorageClassEncryptionAndTagging_AreTakenOnlyWhenPrivateAndStandard_RefusedOtherwise_AndNothingIsStored(string header, string value, int status)
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "setting.txt",
            Headers = new Dictionary<string, string> { [header] = value },
        });

        using var response = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1])));
        using var get = await t.GetAsync("examplebucket", "setting.txt");

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 200)
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            return;
        }

        var error = await TestServer.ErrorAsync(response);
        Assert.Equal(status == 400 ? "InvalidArgument" : "NotImplemented", error.Element("Code")?.Value);
        Assert.Contains($"{header}", error.Element("Message")?.Value, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData("file_type", "x")]
    [InlineData("a+b", "x")]
    [InlineData("a.b", "x")]
    public async Task UserMetadataName_OtherThanLettersDigitsAndHyphens_IsInvalidArgument_AndStoresNothing(string name, string value)
    {
        await using var t = await TestServer.StartAsync();
        // As headers of their own: the library refuses such metadata before signing it (OssNames).
        var presigned = await t.Client.PresignAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "meta.txt",
            Headers = new Dictionary<string, string> { ["x-oss-meta-" + name] = value },
        });

        using var response = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1])));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await TestServer.ErrorAsync(response);
        Assert.Equal("InvalidArgument", error.Element("Code")?.Value);
        Assert.Equal("0011-00000004", error.Element("EC")?.Value);
        Assert.Equal("x-oss-meta-" + name, error.Element("ArgumentName")?.Value);
        using var get = await t.GetAsync("examplebucket", "meta.txt");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData(8191, HttpStatusCode.OK)]
    [InlineData(8192, HttpStatusCode.BadRequest)]
    public async Task UserMetadata_NamesAndValuesOf8KiBOrMore_IsInvalidArgument(int total, HttpStatusCode status)
    {
        await using var t = await TestServer.StartAsync();
        var metadata = new Dictionary<string, string> { ["x-oss-meta-a"] = new string('v', 4000), ["x-oss-meta-b-2"] = string.Empty };
        metadata["x-oss-meta-b-2"] = new string('w', total - "x-oss-meta-a".Length - 4000 - "x-oss-meta-b-2".Length);
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "meta.txt", Headers = metadata });

        using var response = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1])));

        Assert.Equal(status, response.StatusCode);
        if (status == HttpStatusCode.BadRequest)
        {
            var error = await TestServer.ErrorAsync(response);
            Assert.Equal("InvalidArgument", error.Element("Code")?.Value);
            Assert.Equal("0011-00000002", error.Element("EC")?.Value);
            Assert.Contains($"is {total} bytes", error.Element("Message")?.Value, StringComparison.Ordinal);
        }
        else
        {
            using var head = await t.GetAsync("examplebucket", "meta.txt");
            Assert.Equal(metadata["x-oss-meta-b-2"], TestServer.Single(head.Headers, "x-oss-meta-b-2"));
        }
    }

    [Fact]
    public async Task ForbidOverwrite_OnExistingKey_Is409_AndKeepsTheObject()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "once.txt", ForbidOverwrite = true });
        using (var first = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1]))))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var second = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([2])));

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("FileAlreadyExists", (await TestServer.ErrorAsync(second)).Element("Code")?.Value);
        using var get = await t.GetAsync("examplebucket", "once.txt");
        Assert.Equal(new byte[] { 1 }, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task BodyOver5GiB_IsEntityTooLarge()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "huge.bin" });

        var response = await t.SendRawAsync("PUT", presigned.Url, contentLength: (5L * 1024 * 1024 * 1024) + 1, body: [1, 2, 3], hangUp: false);

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Contains("<Code>EntityTooLarge</Code>", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyBody_IsAValidObject()
    {
        await using var t = await TestServer.StartAsync();

        using var put = await t.PutAsync("examplebucket", "empty", []);
        using var get = await t.GetAsync("examplebucket", "empty");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("\"D41D8CD98F00B204E9800998ECF8427E\"", get.Headers.ETag?.Tag);
        Assert.Empty(await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("0", TestServer.Single(get.Headers, "x-oss-hash-crc64ecma"));
    }

    [Fact]
    public async Task EveryResponse_HasARequestId()
    {
        await using var t = await TestServer.StartAsync();
        using var ok = await t.PutAsync("examplebucket", "id.txt", [1]);
        using var notFound = await t.GetAsync("examplebucket", "nothing");
        using var anonymous = await t.Http.GetAsync(new Uri("/", UriKind.Relative));
        using var badBucket = await t.Http.GetAsync(new Uri("/Not_A_Bucket/x", UriKind.Relative));
        var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri("/examplebucket/id.txt", UriKind.Relative));
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        using var options = await t.Http.SendAsync(preflight);

        var ids = new[] { ok, notFound, anonymous, badBucket, options }.Select(r => TestServer.Single(r.Headers, "x-oss-request-id")).ToList();

        Assert.All(ids, id => Assert.Matches("^[0-9A-F]{24}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("InvalidBucketName", (await TestServer.ErrorAsync(badBucket)).Element("Code")?.Value);
    }

    [Fact]
    public async Task DeleteObject_RemovesItAndItsBody_AndMissingKeyIs204Too()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        using var put = await t.PutAsync("examplebucket", "gone.txt", TestServer.RandomBytes(TestServer.FileBodySize));
        Assert.Single(t.BodyFiles());

        using var first = await http.DeleteAsync(new Uri("/examplebucket/gone.txt", UriKind.Relative));
        using var second = await http.DeleteAsync(new Uri("/examplebucket/gone.txt", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(t.DataDirectory, "objects"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutObject_HeaderMode_WithChunkedBody_IsStored()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        var body = TestServer.RandomBytes(200_000);
        var content = new StreamContent(new MemoryStream(body));
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/examplebucket/chunked.bin", UriKind.Relative)) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await http.GetByteArrayAsync(new Uri("/examplebucket/chunked.bin", UriKind.Relative)));
    }
}
