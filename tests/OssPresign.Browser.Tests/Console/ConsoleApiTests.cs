using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace OssPresign.Browser.Tests.Console;

/// <summary>The console's endpoints over HTTP: what they serve, and whom the presign endpoint refuses.</summary>
public sealed class ConsoleApiTests : IAsyncLifetime
{
    private ConsoleTestServer _server = null!;

    public async Task InitializeAsync() => _server = await ConsoleTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Presign_FromThePage_SignsTheContentType_AndTheUrlUploads_WithoutRevealingTheSecret()
    {
        using var response = await _server.Http.SendAsync(PresignRequest(new { bucket = "examplebucket", key = "api/a.csv", contentType = "text/csv", expiresSeconds = 120 }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.DoesNotContain("browser-test-secret", text, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal("PUT", root.GetProperty("method").GetString());
        Assert.Equal("text/csv", root.GetProperty("signedHeaders").GetProperty("Content-Type").GetString());
        var url = root.GetProperty("url").GetString()!;
        Assert.StartsWith($"{_server.Server.Endpoint}examplebucket/api/a.csv?", url, StringComparison.Ordinal);
        Assert.Contains("x-oss-expires=120", url, StringComparison.Ordinal);

        using var put = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent("a,b\n1,2\n", Encoding.UTF8) };
        put.Content.Headers.ContentType = new("text/csv");
        using var stored = await _server.Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);

        using var get = await _server.Http.GetAsync(new Uri(root.GetProperty("getUrl").GetString()!));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("a,b\n1,2\n", await get.Content.ReadAsStringAsync());
        Assert.Equal("text/csv", get.Content.Headers.ContentType?.ToString());
    }

    [Theory]
    [InlineData("Origin", "http://evil.example")]
    [InlineData("Host", "rebound.example")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    public async Task Presign_ForAnotherSite_IsRefused(string header, string value)
    {
        var request = PresignRequest(new { bucket = "examplebucket", key = "x.txt" });
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, header == "Host" ? $"{value}:{_server.Server.Endpoint.Port}" : value);
        using var response = await _server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Forbidden", problem.GetProperty("code").GetString());
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Presign_PreflightFromAnotherOrigin_IsNotAllowed()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/_console/api/presign");
        preflight.Headers.Add("Origin", "http://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var response = await _server.Http.SendAsync(preflight);

        Assert.False(response.IsSuccessStatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("""{"bucket":"nosuchbucket","key":"a"}""", HttpStatusCode.NotFound, "NoSuchBucket")]
    [InlineData("""{"bucket":"Bad_Bucket","key":"a"}""", HttpStatusCode.BadRequest, "InvalidBucketName")]
    [InlineData("""{"bucket":"examplebucket","key":""}""", HttpStatusCode.BadRequest, "InvalidObjectName")]
    [InlineData("""{"bucket":"examplebucket","key":"/uploads/a.txt"}""", HttpStatusCode.BadRequest, "InvalidObjectName")]
    [InlineData("""{"bucket":"examplebucket","key":"\\a.txt"}""", HttpStatusCode.BadRequest, "InvalidObjectName")]
    [InlineData("""{"bucket":"examplebucket","key":"a","expiresSeconds":604801}""", HttpStatusCode.BadRequest, "InvalidArgument")]
    [InlineData("""{"bucket":"examplebucket","key":"a","contentType":"text/plain\r\nx-oss-meta-a: b"}""", HttpStatusCode.BadRequest, "InvalidArgument")]
    [InlineData("""{"bucket":""", HttpStatusCode.BadRequest, "InvalidJson")]
    public async Task Presign_InvalidRequest_IsAJsonProblem(string body, HttpStatusCode status, string code)
    {
        var request = PresignRequest(null);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _server.Http.SendAsync(request);

        Assert.Equal(status, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Presign_OversizedBody_IsRefused_WithOrWithoutContentLength()
    {
        var json = $$"""{"bucket":"examplebucket","key":"a","pad":"{{new string('x', 20_000)}}"}""";
        var sized = PresignRequest(null);
        sized.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var sizedResponse = await _server.Http.SendAsync(sized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sizedResponse.StatusCode);

        var chunked = PresignRequest(null);
        chunked.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var chunkedResponse = await _server.Http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedResponse.StatusCode);
    }

    [Fact]
    public async Task Presign_FormPost_IsRefused()
    {
        var request = PresignRequest(null);
        request.Content = new FormUrlEncodedContent([new("bucket", "examplebucket"), new("key", "a")]);
        using var response = await _server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Page_IsServedFromTheAssembly_WithAStrictContentSecurityPolicy()
    {
        using var page = await _server.Http.GetAsync("/_console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
        Assert.Contains("<script src=\"console.js\" defer></script>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var csp = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("no-referrer", string.Join(' ', page.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("nosniff", string.Join(' ', page.Headers.GetValues("X-Content-Type-Options")));

        using var script = await _server.Http.GetAsync("/_console/console.js");
        Assert.Equal("text/javascript; charset=utf-8", script.Content.Headers.ContentType?.ToString());

        using var missing = await _server.Http.GetAsync("/_console/nothing.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var noRedirect = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = _server.Server.Endpoint };
        using var bare = await noRedirect.GetAsync("/_console");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/_console/", bare.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Status_OnALoopbackServer_OffersPresigningAndTheBuckets()
    {
        var status = await _server.Http.GetFromJsonAsync<JsonElement>("/_console/api/status");

        Assert.True(status.GetProperty("presign").GetBoolean());
        Assert.Equal(["corsallowed", "corsdenied", "examplebucket"], status.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Server_BoundToEveryInterface_ServesThePageButNoPresignEndpoint()
    {
        await using var server = await ConsoleTestServer.StartOnEveryInterfaceAsync();

        using var page = await server.Http.GetAsync("/_console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var status = await server.Http.GetFromJsonAsync<JsonElement>("/_console/api/status");
        Assert.False(status.GetProperty("presign").GetBoolean());
        Assert.Empty(status.GetProperty("buckets").EnumerateArray());

        using var presign = await server.Http.SendAsync(PresignRequest(new { bucket = "examplebucket", key = "a" }, server.Server.Endpoint));
        Assert.Equal(HttpStatusCode.NotFound, presign.StatusCode);
    }

    [Fact]
    public async Task Server_WithoutTheConsole_LeavesTheOssApiAlone()
    {
        await using var server = await ConsoleTestServer.StartAsync(o => new LocalOssServerOptions
        {
            Port = 0,
            DataDirectory = o.DataDirectory,
            Buckets = o.Buckets,
            AccessKeys = o.AccessKeys,
        });

        Assert.Null(server.Server.ConsoleAddress);
        using var page = await server.Http.GetAsync("/_console/");
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains("<Code>InvalidBucketName</Code>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_SignsEachUrlWithAKeyThePolicyAllows_AndLeavesOutTheDownloadWhenNoKeyMayRead()
    {
        const string ReadOnly = """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}""";
        const string UploadsOnly = """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/uploads/*"]}]}""";
        await using var server = await ConsoleTestServer.StartWithKeysAsync(new LocalAccessKey("reader", "reader-secret") { Policy = ReadOnly }, new LocalAccessKey("uploader", "uploader-secret") { Policy = UploadsOnly });

        // The first key may only read: the upload is signed with the second, the download with the first.
        using (var response = await server.Http.SendAsync(PresignRequest(new { bucket = "examplebucket", key = "uploads/a.txt" }, server.Server.Endpoint)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var url = json.RootElement.GetProperty("url").GetString()!;
            Assert.Contains("x-oss-credential=uploader%2F", url, StringComparison.Ordinal);
            using var put = await server.Http.PutAsync(new Uri(url), new ByteArrayContent([1, 2]));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var getUrl = json.RootElement.GetProperty("getUrl").GetString()!;
            Assert.Contains("x-oss-credential=reader%2F", getUrl, StringComparison.Ordinal);
            Assert.Equal(new byte[] { 1, 2 }, await server.Http.GetByteArrayAsync(new Uri(getUrl)));
        }

        // No key may upload there: a clear refusal instead of a URL that ends in 403 after the upload.
        using var denied = await server.Http.SendAsync(PresignRequest(new { bucket = "examplebucket", key = "elsewhere/a.txt" }, server.Server.Endpoint));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        using var problem = JsonDocument.Parse(await denied.Content.ReadAsStringAsync());
        Assert.Equal("AccessDenied", problem.RootElement.GetProperty("code").GetString());
        Assert.Contains("oss:PutObject 'elsewhere/a.txt'", problem.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PresignMultipart_InitiatesAndPresignsEveryPart_RaisingThePartSizeTo10000Parts()
    {
        using var response = await _server.Http.SendAsync(PresignRequest(
            new { bucket = "examplebucket", key = "huge.bin", contentType = "application/x-test", size = 1L << 40 }, path: "presign-multipart"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(109_951_163, root.GetProperty("partSize").GetInt64());
        Assert.Equal(10_000, root.GetProperty("parts").GetArrayLength());
        var uploadId = root.GetProperty("uploadId").GetString()!;
        Assert.Contains($"partNumber=10000&uploadId={uploadId}&", root.GetProperty("parts")[9_999].GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Contains($"uploadId={uploadId}&", root.GetProperty("complete").GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Contains($"uploadId={uploadId}&", root.GetProperty("abort").GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("browser-test-secret", root.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PresignMultipart_SignsTheAbortWithAKeyThatMayAbort_ValidLongerThanTheParts_OrLeavesItOut()
    {
        const string UploadsOnly = """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}""";
        const string AbortsUploads = """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:AbortMultipartUpload"],"Resource":["acs:oss:*:*:examplebucket/uploads/*"]}]}""";
        await using var server = await ConsoleTestServer.StartWithKeysAsync(new LocalAccessKey("uploader", "uploader-secret") { Policy = UploadsOnly }, new LocalAccessKey("janitor", "janitor-secret") { Policy = AbortsUploads });

        using var response = await server.Http.SendAsync(PresignRequest(
            new { bucket = "examplebucket", key = "uploads/big.bin", size = 300_000, partSize = 102_400, expiresSeconds = 60 }, server.Server.Endpoint, path: "presign-multipart"));
        using var elsewhere = await server.Http.SendAsync(PresignRequest(
            new { bucket = "examplebucket", key = "other/big.bin", size = 300_000, partSize = 102_400 }, server.Server.Endpoint, path: "presign-multipart"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var abort = json.RootElement.GetProperty("abort").GetProperty("url").GetString()!;
        Assert.Contains("x-oss-credential=janitor%2F", abort, StringComparison.Ordinal);
        Assert.Contains("x-oss-expires=3660&", abort, StringComparison.Ordinal);
        Assert.Contains("x-oss-credential=uploader%2F", json.RootElement.GetProperty("parts")[0].GetProperty("url").GetString(), StringComparison.Ordinal);
        using var aborted = await server.Http.DeleteAsync(new Uri(abort));
        Assert.Equal(HttpStatusCode.NoContent, aborted.StatusCode);

        // No key may abort under other/: no abort URL, rather than one that can only get 403.
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
        using var other = JsonDocument.Parse(await elsewhere.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, other.RootElement.GetProperty("abort").ValueKind);
    }

    [Theory]
    [InlineData("""{"bucket":"examplebucket","key":"a.bin"}""")]
    [InlineData("""{"bucket":"examplebucket","key":"a.bin","size":-1}""")]
    [InlineData("""{"bucket":"examplebucket","key":"a.bin","size":1000,"partSize":1000}""")]
    public async Task PresignMultipart_WithoutAValidSize_IsInvalidArgument(string body)
    {
        using var request = PresignRequest(null, path: "presign-multipart");
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await _server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("InvalidArgument", problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Presign_WhenNoKeyMayRead_HasNoDownloadUrl()
    {
        const string PutOnly = """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["*"]}]}""";
        await using var server = await ConsoleTestServer.StartWithKeysAsync(new LocalAccessKey("uploader", "uploader-secret") { Policy = PutOnly });

        using var response = await server.Http.SendAsync(PresignRequest(new { bucket = "examplebucket", key = "a.txt" }, server.Server.Endpoint));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("getUrl").ValueKind);
    }

    private HttpRequestMessage PresignRequest(object? body, Uri? endpoint = null, string path = "presign")
    {
        var origin = (endpoint ?? _server.Server.Endpoint).GetLeftPart(UriPartial.Authority);
        var request = new HttpRequestMessage(HttpMethod.Post, $"{origin}/_console/api/{path}");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        // What Chromium sends with the page's fetch.
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        return request;
    }
}
