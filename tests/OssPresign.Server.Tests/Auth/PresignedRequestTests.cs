using System.Diagnostics;
using System.Net;

namespace OssPresign.Server.Tests.Auth;

public sealed class PresignedRequestTests
{
    [Fact]
    public async Task PresignedPut_WithHttpClient_ThenPresignedGet_ReturnsSameBytes()
    {
        await using var t = await TestServer.StartAsync();
        var body = TestServer.RandomBytes(300_000);

        using var put = await t.PutAsync("examplebucket", "folder/中文 file+~*.bin", body);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal($"\"{Convert.ToHexString(System.Security.Cryptography.MD5.HashData(body))}\"", put.Headers.ETag?.Tag);
        using var get = await t.GetAsync("examplebucket", "folder/中文 file+~*.bin");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PresignedPut_WithCurlUploadFile_StoresTheFile()
    {
        await using var t = await TestServer.StartAsync();
        var body = TestServer.RandomBytes(1_000_003);
        var file = Path.Combine(t.DataDirectory, "upload-source.bin");
        await File.WriteAllBytesAsync(file, body);
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "curl/upload.bin", ContentType = "application/x-test" });

        var (exitCode, output) = await RunCurlAsync("-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/x-test", "-T", file, presigned.Url);

        Assert.Equal(0, exitCode);
        Assert.Equal("200", output);
        using var get = await t.GetAsync("examplebucket", "curl/upload.bin");
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/x-test", get.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task PresignedUrl_UsedThreeTimes_WorksEachTime()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "again.txt" });

        for (var i = 0; i < 3; i++)
        {
            var body = TestServer.RandomBytes(100 + i);
            using var put = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent(body)));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            using var get = await t.GetAsync("examplebucket", "again.txt");
            Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task PresignedUrl_AfterItExpires_IsRefusedWithRequestHasExpired()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "late.txt" },
            new PresignOptions { Expires = TimeSpan.FromMinutes(10) });

        t.Time.Advance(TimeSpan.FromMinutes(10));
        using (var atExpiry = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1]))))
        {
            Assert.Equal(HttpStatusCode.OK, atExpiry.StatusCode);
        }

        t.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1])));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await TestServer.ErrorAsync(response);
        Assert.Equal("AccessDenied", error.Element("Code")?.Value);
        Assert.Equal("Request has expired.", error.Element("Message")?.Value);
        Assert.Equal("0002-00000236", error.Element("EC")?.Value); // the V4 page; 0002-00000069 is V1's
        Assert.Equal("2026-03-14T15:19:26.000Z", error.Element("Expires")?.Value);
        Assert.Equal("2026-03-14T15:19:27.000Z", error.Element("ServerTime")?.Value);
    }

    [Fact]
    public async Task PresignedUrl_SignedMoreThan15MinutesInTheFuture_IsRefusedAsNotYetValid()
    {
        await using var t = await TestServer.StartAsync();
        var futureClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(t.Time.GetUtcNow().AddMinutes(15));
        var client = new OssClient(new OssClientOptions
        {
            Region = t.Server.Region,
            Endpoint = t.Server.Endpoint,
            CredentialsProvider = new StaticCredentialsProvider("test-key", "test-secret"),
            TimeProvider = futureClock,
        });
        using (var atTheLimit = await t.PutAsync("examplebucket", "future.txt", [1], client))
        {
            Assert.Equal(HttpStatusCode.OK, atTheLimit.StatusCode);
        }

        futureClock.Advance(TimeSpan.FromSeconds(1));
        using var response = await t.PutAsync("examplebucket", "future.txt", [1], client);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await TestServer.ErrorAsync(response);
        Assert.Equal("AccessDenied", error.Element("Code")?.Value);
        Assert.Equal("0002-00000235", error.Element("EC")?.Value);
    }

    [Fact]
    public async Task UnsignedContentType_IsRefusedWithTheServersCanonicalRequest()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "typed.txt" });
        var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");

        using var response = await t.Http.SendAsync(TestServer.Request(presigned, content));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await TestServer.ErrorAsync(response);
        Assert.Equal("SignatureDoesNotMatch", error.Element("Code")?.Value);
        Assert.Equal("0002-00000201", error.Element("EC")?.Value);
        var canonical = error.Element("CanonicalRequest")!.Value;
        Assert.StartsWith("PUT\n/examplebucket/typed.txt\n", canonical, StringComparison.Ordinal);
        Assert.Contains("\ncontent-type:text/plain\n", canonical, StringComparison.Ordinal);
        Assert.EndsWith("\n\n\nUNSIGNED-PAYLOAD", canonical, StringComparison.Ordinal);
        Assert.StartsWith("OSS4-HMAC-SHA256\n", error.Element("StringToSign")!.Value, StringComparison.Ordinal);
        Assert.Equal(QueryValue(presigned.Url, "x-oss-signature"), error.Element("SignatureProvided")?.Value);
    }

    [Fact]
    public async Task SignedContentType_WhenSent_IsAccepted()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "typed.txt",
            ContentType = "text/plain",
            Metadata = new Dictionary<string, string> { ["owner"] = "me" },
        });

        using var response = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1, 2, 3])));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var get = await t.GetAsync("examplebucket", "typed.txt");
        Assert.Equal("text/plain", get.Content.Headers.ContentType?.ToString());
        Assert.Equal("me", TestServer.Single(get.Headers, "x-oss-meta-owner"));
    }

    public static TheoryData<string, string, string> Tampering => new()
    {
        // What is changed, how (a name=value or path edit), and the expected Code.
        { "signature", "x-oss-signature=0000000000000000000000000000000000000000000000000000000000000000", "SignatureDoesNotMatch" },
        { "key", "path:/examplebucket/other.txt", "SignatureDoesNotMatch" },
        { "bucket", "path:/otherbucket/tamper.txt", "SignatureDoesNotMatch" },
        { "missing bucket", "path:/nosuchbucket/tamper.txt", "SignatureDoesNotMatch" },
        { "expires longer", "x-oss-expires=901", "SignatureDoesNotMatch" },
        { "expires zero", "x-oss-expires=0", "AccessDenied" },
        { "expires over seven days", "x-oss-expires=604801", "AccessDenied" },
        { "expires not a number", "x-oss-expires=abc", "AccessDenied" },
        { "date second", "x-oss-date=20260314T150927Z", "SignatureDoesNotMatch" },
        { "date day", "x-oss-date=20260313T150926Z", "AccessDenied" },
        { "date format", "x-oss-date=2026-03-14T15:09:26Z", "AccessDenied" },
        { "credential key", "x-oss-credential=other-key%2F20260314%2Fcn-hangzhou%2Foss%2Faliyun_v4_request", "InvalidAccessKeyId" },
        { "credential region", "x-oss-credential=test-key%2F20260314%2Fcn-beijing%2Foss%2Faliyun_v4_request", "AccessDenied" },
        { "credential oss- region", "x-oss-credential=test-key%2F20260314%2Foss-cn-hangzhou%2Foss%2Faliyun_v4_request", "AccessDenied" },
        { "credential product", "x-oss-credential=test-key%2F20260314%2Fcn-hangzhou%2Fs3%2Faliyun_v4_request", "AccessDenied" },
        { "credential terminator", "x-oss-credential=test-key%2F20260314%2Fcn-hangzhou%2Foss%2Faws4_request", "AccessDenied" },
        { "credential date", "x-oss-credential=test-key%2F20260315%2Fcn-hangzhou%2Foss%2Faliyun_v4_request", "AccessDenied" },
        { "signature version", "x-oss-signature-version=OSS2", "AccessDenied" },
        { "signature removed", "x-oss-signature=", "AccessDenied" },
        { "signed header value", "header:x-oss-meta-a=2", "SignatureDoesNotMatch" },
        { "signed header removed", "header:", "SignatureDoesNotMatch" },
        { "extra parameter", "extra=1", "SignatureDoesNotMatch" },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task TamperedPresignedUrl_IsRefusedWith403AndTheRightCode(string what, string change, string expectedCode)
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "tamper.txt",
            Metadata = new Dictionary<string, string> { ["a"] = "1" },
        });
        var url = presigned.Url;
        var metaValue = "1";
        if (change.StartsWith("path:", StringComparison.Ordinal))
        {
            url = url.Replace("/examplebucket/tamper.txt", change[5..], StringComparison.Ordinal);
        }
        else if (change.StartsWith("header:", StringComparison.Ordinal))
        {
            metaValue = change.Length > 7 ? change[(change.IndexOf('=', StringComparison.Ordinal) + 1)..] : null;
        }
        else
        {
            url = ReplaceQuery(url, change);
        }

        var request = new HttpRequestMessage(HttpMethod.Put, TestServer.RawUri(url)) { Content = new ByteArrayContent([1]) };
        if (metaValue is not null)
        {
            request.Headers.TryAddWithoutValidation("x-oss-meta-a", metaValue);
        }

        using var response = await t.Http.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(expectedCode, (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
        using var get = await t.GetAsync("examplebucket", "tamper.txt");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task RefusedUploadOfALargeBody_StillReachesTheClientAs403()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "large.bin" });
        var tampered = ReplaceQuery(presigned.Url, "x-oss-expires=901");
        var file = Path.Combine(t.DataDirectory, "large-source.bin");
        await File.WriteAllBytesAsync(file, TestServer.RandomBytes(8_000_000));

        using var response = await t.Http.SendAsync(new HttpRequestMessage(HttpMethod.Put, TestServer.RawUri(tampered))
        {
            Content = new StreamContent(File.OpenRead(file)),
        });
        var (exitCode, output) = await RunCurlAsync("-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", file, tampered);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
        Assert.Equal((0, "403"), (exitCode, output));
    }

    [Theory]
    [InlineData("/examplebucket/%ZZ")]
    [InlineData("/examplebucket/%C3%28")]
    [InlineData("/examplebucket/k?x=%E2%82")]
    public async Task MalformedPercentEscape_IsInvalidUri(string target)
    {
        await using var t = await TestServer.StartAsync();

        var response = await t.SendRawAsync("GET", t.Server.Endpoint.GetLeftPart(UriPartial.Authority) + target, 0, [], hangUp: false);

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Contains("<Code>InvalidURI</Code>", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepeatedAuthParameter_IsInvalidArgument()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "twice.txt" });

        using var response = await t.Http.SendAsync(new HttpRequestMessage(HttpMethod.Put, TestServer.RawUri(presigned.Url + "&x-oss-expires=604800"))
        {
            Content = new ByteArrayContent([1]),
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidArgument", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task AdditionalHeader_ListedButNotSent_IsInvalidArgument()
    {
        await using var t = await TestServer.StartAsync();
        var client = new OssClient(new OssClientOptions
        {
            Region = t.Server.Region,
            Endpoint = t.Server.Endpoint,
            CredentialsProvider = new StaticCredentialsProvider("test-key", "test-secret"),
            AdditionalHeaders = ["x-custom"],
            TimeProvider = t.Time,
        });
        var request = new PutObjectRequest { Bucket = "examplebucket", Key = "extra.txt" };
        request.Headers["x-custom"] = "yes";
        var presigned = await client.PresignAsync(request);
        Assert.Contains("x-oss-additional-headers=x-custom", presigned.Url, StringComparison.Ordinal);

        using (var withHeader = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1]))))
        {
            Assert.Equal(HttpStatusCode.OK, withHeader.StatusCode);
        }

        using var response = await t.Http.SendAsync(new HttpRequestMessage(HttpMethod.Put, TestServer.RawUri(presigned.Url)) { Content = new ByteArrayContent([1]) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidArgument", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task AnonymousRequest_ToPrivateBucket_IsAccessDenied()
    {
        await using var t = await TestServer.StartAsync();
        using var put = await t.PutAsync("examplebucket", "public.txt", [1]);

        using var response = await t.Http.GetAsync(new Uri("/examplebucket/public.txt", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDenied", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task UnknownAndDisabledKeys_AreInvalidAccessKeyId()
    {
        await using var t = await TestServer.StartWithKeysAsync(new LocalAccessKey("test-key", "test-secret"), new LocalAccessKey("off-key", "off-secret") { Disabled = true });

        foreach (var (id, secret) in new[] { ("nobody", "secret"), ("off-key", "off-secret") })
        {
            using var response = await t.PutAsync("examplebucket", "k.txt", [1], t.Server.CreateClient(new StaticCredentialsProvider(id, secret)));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var error = await TestServer.ErrorAsync(response);
            Assert.Equal("InvalidAccessKeyId", error.Element("Code")?.Value);
            Assert.Equal(id, error.Element("OSSAccessKeyId")?.Value);
        }
    }

    [Fact]
    public async Task WrongSecret_IsSignatureDoesNotMatch()
    {
        await using var t = await TestServer.StartAsync();

        using var response = await t.PutAsync("examplebucket", "k.txt", [1], t.Server.CreateClient(new StaticCredentialsProvider("test-key", "wrong")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task StsKey_NeedsItsSecurityToken()
    {
        await using var t = await TestServer.StartWithKeysAsync(new LocalAccessKey("sts-key", "sts-secret") { SecurityToken = "token+/=" }, new LocalAccessKey("plain", "plain-secret"));

        using (var ok = await t.PutAsync("examplebucket", "k.txt", [1], t.Server.CreateClient(new StaticCredentialsProvider("sts-key", "sts-secret", "token+/="))))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var refused = new[]
        {
            new StaticCredentialsProvider("sts-key", "sts-secret"),
            new StaticCredentialsProvider("sts-key", "sts-secret", "other-token"),
            new StaticCredentialsProvider("plain", "plain-secret", "token+/="),
        };
        foreach (var credentials in refused)
        {
            using var response = await t.PutAsync("examplebucket", "k.txt", [1], t.Server.CreateClient(credentials));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("InvalidAccessKeyId", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
        }
    }

    [Fact]
    public async Task VirtualHostedUrl_IsVerifiedWithTheSameCanonicalUri()
    {
        await using var t = await TestServer.StartAsync();
        var client = new OssClient(new OssClientOptions
        {
            Region = t.Server.Region,
            Endpoint = new Uri($"http://localhost:{t.Server.Endpoint.Port}"),
            CredentialsProvider = new StaticCredentialsProvider("test-key", "test-secret"),
            TimeProvider = t.Time,
        });
        var presigned = await client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "vhost/a b.txt" });
        Assert.StartsWith($"http://examplebucket.localhost:{t.Server.Endpoint.Port}/vhost/a%20b.txt?", presigned.Url, StringComparison.Ordinal);

        // Sent to the loopback address with the virtual host in the Host header, as a resolver for *.localhost would.
        var pathAndQuery = presigned.Url[presigned.Url.IndexOf("/vhost", StringComparison.Ordinal)..];
        var request = new HttpRequestMessage(HttpMethod.Put, TestServer.RawUri(t.Server.Endpoint.GetLeftPart(UriPartial.Authority) + pathAndQuery))
        {
            Content = new ByteArrayContent([7, 8]),
        };
        request.Headers.Host = $"examplebucket.localhost:{t.Server.Endpoint.Port}";
        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var get = await t.GetAsync("examplebucket", "vhost/a b.txt");
        Assert.Equal(new byte[] { 7, 8 }, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task VirtualHostedUrl_WorksWithCurlAndHttpClient_ResolvingBucketDotLocalhost()
    {
        await using var t = await TestServer.StartAsync();
        var client = new OssClient(new OssClientOptions
        {
            Region = t.Server.Region,
            Endpoint = new Uri($"http://localhost:{t.Server.Endpoint.Port}"),
            CredentialsProvider = new StaticCredentialsProvider("test-key", "test-secret"),
            TimeProvider = t.Time,
        });
        var file = Path.Combine(t.DataDirectory, "vhost-source.txt");
        await File.WriteAllTextAsync(file, "virtual");
        var put = await client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "vhost.txt" });

        // curl resolves every *.localhost name to loopback itself (RFC 6761), whatever the system resolver says.
        var (exitCode, output) = await RunCurlAsync("-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", file, put.Url);
        Assert.Equal((0, "200"), (exitCode, output));

        // .NET asks the system resolver, which here does not know *.localhost; connect to loopback as curl does.
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                Assert.EndsWith(".localhost", context.DnsEndPoint.Host, StringComparison.Ordinal);
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        });
        var get = await client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "vhost.txt" });
        Assert.Equal("virtual", await http.GetStringAsync(TestServer.RawUri(get.Url)));
    }

    internal static string QueryValue(string url, string name)
    {
        var query = url[(url.IndexOf('?', StringComparison.Ordinal) + 1)..];
        var pair = query.Split('&').Single(p => p.StartsWith(name + "=", StringComparison.Ordinal));
        return Uri.UnescapeDataString(pair[(name.Length + 1)..]);
    }

    internal static string ReplaceQuery(string url, string assignment)
    {
        var name = assignment[..assignment.IndexOf('=', StringComparison.Ordinal)];
        var question = url.IndexOf('?', StringComparison.Ordinal);
        var pairs = url[(question + 1)..].Split('&').ToList();
        var index = pairs.FindIndex(p => p.StartsWith(name + "=", StringComparison.Ordinal));
        if (index < 0)
        {
            pairs.Add(assignment);
        }
        else if (assignment.Length == name.Length + 1)
        {
            pairs.RemoveAt(index);
        }
        else
        {
            pairs[index] = assignment;
        }

        return url[..(question + 1)] + string.Join('&', pairs);
    }

    internal static async Task<(int ExitCode, string Output)> RunCurlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output + error);
    }
}
