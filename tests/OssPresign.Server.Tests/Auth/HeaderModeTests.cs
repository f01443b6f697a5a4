using System.Net;
using System.Xml.Linq;

namespace OssPresign.Server.Tests.Auth;

public sealed class HeaderModeTests
{
    [Fact]
    public async Task SignedRequests_PutGetHeadDelete_Work()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        var body = TestServer.RandomBytes(5000);

        using (var put = await http.PutAsync(new Uri("/examplebucket/header/mode.bin", UriKind.Relative), new ByteArrayContent(body)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal(body, await http.GetByteArrayAsync(new Uri("/examplebucket/header/mode.bin", UriKind.Relative)));
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri("/examplebucket/header/mode.bin", UriKind.Relative))))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(5000, head.Content.Headers.ContentLength);
        }

        using (var delete = await http.DeleteAsync(new Uri("/examplebucket/header/mode.bin", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using var gone = await http.GetAsync(new Uri("/examplebucket/header/mode.bin", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("NoSuchKey", (await TestServer.ErrorAsync(gone)).Element("Code")?.Value);
    }

    [Fact]
    public async Task SignedRequest_ForAKeyWithDotSegments_ThroughAUriThatKeepsThem_IsVerifiedAndStoredUnderThatKey()
    {
        // The handler's remarks say such a key needs a Uri made with DangerousDisablePathAndQueryCanonicalization;
        // signing one threw InvalidOperationException (Uri.GetComponents refuses that kind of Uri).
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        var url = $"{t.Server.Endpoint.GetLeftPart(UriPartial.Authority)}/examplebucket/a/./b/../c%20d.txt";

        using var put = await http.PutAsync(TestServer.RawUri(url), new ByteArrayContent([1, 2, 3]));
        using var get = await http.GetAsync(TestServer.RawUri(url + "?response-content-type=text%2Fplain"));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("text/plain", get.Content.Headers.ContentType?.ToString());
        using var presignedGet = await t.GetAsync("examplebucket", "a/./b/../c d.txt");
        Assert.Equal(new byte[] { 1, 2, 3 }, await presignedGet.Content.ReadAsByteArrayAsync());
        using var canonicalized = await t.GetAsync("examplebucket", "a/c d.txt");
        Assert.Equal(HttpStatusCode.NotFound, canonicalized.StatusCode);
    }

    [Fact]
    public async Task SignedRequest_WithQueryParameters_IsVerified()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        await http.PutAsync(new Uri("/examplebucket/q.txt", UriKind.Relative), new ByteArrayContent([1]));

        using var response = await http.GetAsync(new Uri("/examplebucket/q.txt?response-content-type=text%2Fplain&response-cache-control=no-cache", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task HostAsAdditionalHeader_IsSignedAndVerified()
    {
        await using var t = await TestServer.StartAsync();
        using var http = new HttpClient(new OssPresign.Http.OssSigningHandler(new OssClientOptions
        {
            Region = t.Server.Region,
            Endpoint = t.Server.Endpoint,
            CredentialsProvider = new StaticCredentialsProvider("test-key", "test-secret"),
            AdditionalHeaders = ["host"],
            TimeProvider = t.Time,
        }, new SocketsHttpHandler()))
        {
            BaseAddress = t.Server.Endpoint,
        };
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/examplebucket/host.txt", UriKind.Relative)) { Content = new ByteArrayContent([1]) };

        using var response = await http.SendAsync(request);

        Assert.Contains("AdditionalHeaders=host,", request.Headers.Authorization?.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ClockSkewOver15Minutes_IsRequestTimeTooSkewed()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        t.Time.Advance(TimeSpan.FromMinutes(15));
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/examplebucket/skew.txt", UriKind.Relative)) { Content = new ByteArrayContent([1]) };
        using (var withinSkew = await SendSignedAtAsync(t, request, TestServer.Start))
        {
            Assert.Equal(HttpStatusCode.OK, withinSkew.StatusCode);
        }

        t.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await SendSignedAtAsync(t, new HttpRequestMessage(HttpMethod.Put, new Uri("/examplebucket/skew.txt", UriKind.Relative))
        {
            Content = new ByteArrayContent([1]),
        }, TestServer.Start);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await TestServer.ErrorAsync(response);
        Assert.Equal("RequestTimeTooSkewed", error.Element("Code")?.Value);
        Assert.Equal("0002-00000504", error.Element("EC")?.Value);
        Assert.Equal("2026-03-14T15:24:27.000Z", error.Element("ServerTime")?.Value);
    }

    [Fact]
    public async Task StsKey_InHeaderMode_SendsItsTokenAsHeader()
    {
        await using var t = await TestServer.StartWithKeysAsync(new LocalAccessKey("sts-key", "sts-secret") { SecurityToken = "the-token" });
        using var withToken = t.CreateSigningClient(new StaticCredentialsProvider("sts-key", "sts-secret", "the-token"));
        using var withoutToken = t.CreateSigningClient(new StaticCredentialsProvider("sts-key", "sts-secret"));

        using var ok = await withToken.PutAsync(new Uri("/examplebucket/sts.txt", UriKind.Relative), new ByteArrayContent([1]));
        using var refused = await withoutToken.PutAsync(new Uri("/examplebucket/sts.txt", UriKind.Relative), new ByteArrayContent([1]));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("InvalidAccessKeyId", (await TestServer.ErrorAsync(refused)).Element("Code")?.Value);
    }

    [Fact]
    public async Task MissingDateHeader_IsAccessDenied()
    {
        await using var t = await TestServer.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/examplebucket/x", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization",
            "OSS4-HMAC-SHA256 Credential=test-key/20260314/cn-hangzhou/oss/aliyun_v4_request,Signature=00");

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDenied", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task V1Authorization_IsRefused()
    {
        await using var t = await TestServer.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/examplebucket/x", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "OSS test-key:c2lnbmF0dXJl");

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task BucketOperations_CreateListAndDeleteOnlyWhenEmpty()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        using (var create = await http.PutAsync(new Uri("/newbucket/", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        }

        using (var again = await http.PutAsync(new Uri("/newbucket/", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Equal("BucketAlreadyExists", (await TestServer.ErrorAsync(again)).Element("Code")?.Value);
        }

        var list = XElement.Parse(await http.GetStringAsync(new Uri("/", UriKind.Relative)));
        Assert.Equal(["examplebucket", "newbucket", "otherbucket"], list.Descendants("Bucket").Select(b => b.Element("Name")!.Value));
        Assert.All(list.Descendants("Bucket"), b => Assert.Equal("cn-hangzhou", b.Element("Region")?.Value));

        await http.PutAsync(new Uri("/newbucket/k", UriKind.Relative), new ByteArrayContent([1]));
        using (var notEmpty = await http.DeleteAsync(new Uri("/newbucket/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Conflict, notEmpty.StatusCode);
            Assert.Equal("BucketNotEmpty", (await TestServer.ErrorAsync(notEmpty)).Element("Code")?.Value);
        }

        await http.DeleteAsync(new Uri("/newbucket/k", UriKind.Relative));
        using (var deleted = await http.DeleteAsync(new Uri("/newbucket/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var missing = await http.GetAsync(new Uri("/newbucket/?list-type=2", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("NoSuchBucket", (await TestServer.ErrorAsync(missing)).Element("Code")?.Value);
    }

    [Fact]
    public async Task UnimplementedSubresource_IsNotImplementedAfterAuthentication()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        using var signed = await http.PostAsync(new Uri("/examplebucket/big.bin?acl", UriKind.Relative), null);
        using var anonymous = await t.Http.PostAsync(new Uri("/examplebucket/big.bin?acl", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NotImplemented, signed.StatusCode);
        Assert.Equal("NotImplemented", (await TestServer.ErrorAsync(signed)).Element("Code")?.Value);
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
    }

    [Fact]
    public async Task UploadCallback_IsNotImplemented_AndNothingIsStored()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri("/examplebucket/called-back.txt", UriKind.Relative)) { Content = new ByteArrayContent([1]) };
        put.Headers.Add("x-oss-callback", Convert.ToBase64String("{\"callbackUrl\":\"http://127.0.0.1:1/cb\",\"callbackBody\":\"bucket=${bucket}\"}"u8));

        using var refused = await http.SendAsync(put);
        using var get = await http.GetAsync(new Uri("/examplebucket/called-back.txt", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotImplemented, refused.StatusCode);
        Assert.Contains("x-oss-callback", (await TestServer.ErrorAsync(refused)).Element("Message")?.Value, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task SignatureV1Header_IsRefusedAsSuch()
    {
        await using var t = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/examplebucket/v1.txt", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "OSS test-key:bm90LWEtc2lnbmF0dXJl");

        using var refused = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var error = await TestServer.ErrorAsync(refused);
        Assert.StartsWith("Signature V1 (Authorization: OSS ...) is not accepted by the local server", error.Element("Message")?.Value, StringComparison.Ordinal);
        Assert.Equal("LOCAL-0007", error.Element("EC")?.Value);
    }

    /// <summary>Signs with a clock stopped at <paramref name="signingTime"/> while the server's clock has moved on.</summary>
    private static async Task<HttpResponseMessage> SendSignedAtAsync(TestServer t, HttpRequestMessage request, DateTimeOffset signingTime)
    {
        using var http = new HttpClient(new OssPresign.Http.OssSigningHandler(new OssClientOptions
        {
            Region = t.Server.Region,
            Endpoint = t.Server.Endpoint,
            CredentialsProvider = new StaticCredentialsProvider("test-key", "test-secret"),
            TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(signingTime),
        }, new SocketsHttpHandler()))
        {
            BaseAddress = t.Server.Endpoint,
        };
        return await http.SendAsync(request);
    }
}
