using System.Net;

namespace OssPresign.Server.Tests.Api;

public sealed class CorsTests
{
    [Fact]
    public async Task Preflight_FromAnotherOrigin_IsAnsweredWithoutAuthentication()
    {
        await using var t = await TestServer.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Options, new Uri("/examplebucket/uploads/photo.jpg?x-oss-signature=whatever", UriKind.Relative));
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        request.Headers.Add("Access-Control-Request-Headers", "content-type, x-oss-meta-owner");

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", TestServer.Single(response.Headers, "Access-Control-Allow-Origin"));
        Assert.Contains("PUT", TestServer.Single(response.Headers, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Equal("content-type, x-oss-meta-owner", TestServer.Single(response.Headers, "Access-Control-Allow-Headers"));
        Assert.Contains("ETag", TestServer.Single(response.Headers, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
        Assert.Equal("600", TestServer.Single(response.Headers, "Access-Control-Max-Age"));
    }

    [Fact]
    public async Task Rules_FromConfig_AllowOnlyTheirOriginsMethodsAndHeaders()
    {
        var config = Path.Combine(Path.GetTempPath(), $"oss-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config,
            """
            { "buckets": [ { "name": "strict-bucket", "cors": [ { "AllowedOrigin": ["https://*.example.com"], "AllowedMethod": ["PUT"],
                                                                 "AllowedHeader": ["content-type"], "ExposeHeader": ["ETag"] } ] } ] }
            """);
        try
        {
            await using var t = await TestServer.StartAsync(o => new LocalOssServerOptions
            {
                Port = 0,
                DataDirectory = o.DataDirectory,
                TimeProvider = o.TimeProvider,
                AccessKeys = o.AccessKeys,
                Buckets = [],
                ConfigFile = config,
            });

            async Task<HttpResponseMessage> PreflightAsync(string origin, string method, string? headers = null)
            {
                var request = new HttpRequestMessage(HttpMethod.Options, new Uri("/strict-bucket/k", UriKind.Relative));
                request.Headers.TryAddWithoutValidation("Origin", origin);
                request.Headers.Add("Access-Control-Request-Method", method);
                if (headers is not null)
                {
                    request.Headers.Add("Access-Control-Request-Headers", headers);
                }

                return await t.Http.SendAsync(request);
            }

            using var allowed = await PreflightAsync("https://app.example.com", "PUT", "Content-Type");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal("https://app.example.com", TestServer.Single(allowed.Headers, "Access-Control-Allow-Origin"));

            foreach (var refused in new[] { await PreflightAsync("https://evil.test", "PUT"), await PreflightAsync("https://app.example.com", "DELETE"),
                await PreflightAsync("https://app.example.com", "PUT", "x-oss-meta-a"),

                // Matches the pattern, but would be echoed with a character Kestrel cannot send (it was a 500).
                await PreflightAsync("https://a\u0001.example.com", "PUT") })
            {
                using (refused)
                {
                    Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                    Assert.Equal("AccessForbidden", (await TestServer.ErrorAsync(refused)).Element("Code")?.Value);
                    Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
                }
            }
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>
    /// A preflight is answered before authentication and echoes the requested headers; one holding a control
    /// character, which Kestrel cannot send back, was a 500. (An origin with one: see the rules-from-config test.)
    /// </summary>
    [Fact]
    public async Task Preflight_AskingForAHeaderWithAControlCharacter_IsAccessForbidden()
    {
        await using var t = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/examplebucket/a.txt");
        request.Headers.TryAddWithoutValidation("Origin", "https://app.example");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "PUT");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "x-a\u0001b");

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessForbidden", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Fact]
    public async Task ErrorResponses_CarryCorsHeaders_SoABrowserCanReadThem()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "browser.txt" });
        var request = TestServer.Request(presigned, new ByteArrayContent([1]));
        request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        request.Headers.Add("Origin", "https://app.example");

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("*", TestServer.Single(response.Headers, "Access-Control-Allow-Origin"));
        Assert.Contains("x-oss-request-id", TestServer.Single(response.Headers, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_ForMissingBucket_IsNoSuchBucket()
    {
        await using var t = await TestServer.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Options, new Uri("/nosuchbucket/k", UriKind.Relative));
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Access-Control-Request-Method", "PUT");

        using var response = await t.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
