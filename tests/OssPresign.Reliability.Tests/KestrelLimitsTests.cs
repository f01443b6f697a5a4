using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace OssPresign.Reliability.Tests;

/// <summary>
/// Malformed and hostile HTTP against the Kestrel limits of LocalOssServer.ConfigureKestrel: huge request lines and
/// headers, chunked bodies without Content-Length, malformed chunks, early disconnects, slow bodies and headers, more
/// connections than allowed. Each gets a 4xx or a closed connection, leaves nothing in the data folder, and the server
/// answers normally afterwards. Time limits are shortened for the slow cases through ConfigureApplication, so the
/// tests wait seconds, not the production 10-30 s; the production values themselves are asserted first.
/// </summary>
public sealed class KestrelLimitsTests(ITestOutputHelper output)
{
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("limits body");

    [Fact]
    public async Task Limits_AreTheDocumentedOnes()
    {
        await using var server = await InProcessServer.StartAsync();
        var kestrel = server.Server.App.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        var limits = kestrel.Limits;

        // docs/reliability.md has this table; a change here must change it too.
        Assert.Equal(5L * 1024 * 1024 * 1024, limits.MaxRequestBodySize);
        Assert.Equal(16 * 1024, limits.MaxRequestLineSize);
        Assert.Equal(64 * 1024, limits.MaxRequestHeadersTotalSize);
        Assert.Equal(100, limits.MaxRequestHeaderCount);
        Assert.Equal(TimeSpan.FromSeconds(30), limits.RequestHeadersTimeout);
        Assert.Equal(1024, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(10), limits.MinRequestBodyDataRate.GracePeriod);
        Assert.Equal(1024, limits.MinResponseDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(10), limits.MinResponseDataRate.GracePeriod);
        Assert.Equal(TimeSpan.FromMinutes(2), limits.KeepAliveTimeout);
        Assert.Equal(1000, limits.MaxConcurrentConnections);
        Assert.False(kestrel.AddServerHeader);
        Assert.Equal(Encoding.UTF8, kestrel.ResponseHeaderEncodingSelector("Content-Disposition"));

        // Protocols: HTTP/1.1 only, so an HTTP/2 request (prior knowledge, as h2c has no upgrade here) gets no HTTP/2 answer.
        using var http2 = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Server.Endpoint)
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        await Assert.ThrowsAsync<HttpRequestException>(() => http2.SendAsync(request));
    }

    [Fact]
    public async Task HugeRequestLineAndHeaders_AreRefusedWith414Or431_AndTheServerStaysHealthy()
    {
        await using var server = await InProcessServer.StartAsync();
        var put = await PresignPutAsync(server, "huge.txt");

        var longTarget = await SendAsync(server, "PUT", put.Target + "&pad=" + new string('a', 17 * 1024), put.Headers, Body);
        var hugeHeader = await SendAsync(server, "PUT", put.Target, [.. put.Headers, new("x-pad", new string('a', 70 * 1024))], Body);
        var manyHeaders = await SendAsync(server, "PUT", put.Target, [.. put.Headers, .. Enumerable.Range(0, 101).Select(i => KeyValuePair.Create($"x-pad-{i}", "1"))], Body);

        Assert.Equal(414, longTarget.Status);
        Assert.Equal(431, hugeHeader.Status);
        Assert.Equal(431, manyHeaders.Status);
        await AssertHealthyAsync(server, "huge.txt", expectStored: false);
    }

    [Fact]
    public async Task ChunkedBody_WithoutContentLength_IsStoredWhole()
    {
        await using var server = await InProcessServer.StartAsync();
        var put = await PresignPutAsync(server, "chunked.bin");
        var body = new byte[300 * 1024 + 1007];
        Random.Shared.NextBytes(body);
        var chunked = Chunk(body, [1000, 300 * 1024, 7]);

        var response = await SendAsync(server, "PUT", put.Target, [.. put.Headers, new("Transfer-Encoding", "chunked")], chunked);

        Assert.Equal(200, response.Status);
        Assert.Equal(body, await GetAsync(server, "chunked.bin"));
        await server.Folder.AssertNoOrphansEventuallyAsync();
    }

    [Theory]
    [InlineData("bad chunk size", "zz\r\nabc\r\n0\r\n\r\n")]
    [InlineData("chunk longer than its size", "3\r\nabcdef\r\n0\r\n\r\n")]
    [InlineData("missing chunk terminator", "3\r\nabc0\r\n\r\n")]
    [InlineData("chunk size overflow", "FFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n")]
    public async Task MalformedChunkedBody_Is400_AndStoresNothing(string what, string chunkedBody)
    {
        await using var server = await InProcessServer.StartAsync();
        var put = await PresignPutAsync(server, "malformed.bin");

        var response = await SendAsync(server, "PUT", put.Target, [.. put.Headers, new("Transfer-Encoding", "chunked")], Encoding.ASCII.GetBytes(chunkedBody));

        Assert.True(response.Status == 400, $"{what}: {response.Status} {response.Body}");
        await AssertHealthyAsync(server, "malformed.bin", expectStored: false);
    }

    [Fact]
    public async Task ContentLengthAndChunked_Together_AreReadAsChunked()
    {
        await using var server = await InProcessServer.StartAsync();
        var put = await PresignPutAsync(server, "both.bin");

        // Both framings at once is the shape of request smuggling. Kestrel follows RFC 9112 §6.3: Transfer-Encoding
        // wins and the connection closes after the response; what is stored is the chunked body, not the framing.
        var response = await SendAsync(server, "PUT", put.Target, [.. put.Headers, new("Content-Length", "4"), new("Transfer-Encoding", "chunked")],
            Chunk(Body, [Body.Length]));

        Assert.Equal(200, response.Status);
        Assert.Equal(Body, await GetAsync(server, "both.bin"));
        await server.Folder.AssertNoOrphansEventuallyAsync();
    }

    [Fact]
    public async Task ContentLengthOver5GiB_IsEntityTooLarge_BeforeAnyBodyIsRead()
    {
        await using var server = await InProcessServer.StartAsync();
        var put = await PresignPutAsync(server, "too-large.bin");

        var response = await SendAsync(server, "PUT", put.Target, [.. put.Headers, new("Content-Length", (6L * 1024 * 1024 * 1024).ToString(CultureInfo.InvariantCulture))], Body);

        Assert.Equal(400, response.Status);
        Assert.Equal("EntityTooLarge", response.ErrorCode);
        await AssertHealthyAsync(server, "too-large.bin", expectStored: false);
    }

    [Fact]
    public async Task ClientHangingUpMidHeadersOrMidBody_LeavesNoObjectAndNoTempFile()
    {
        await using var server = await InProcessServer.StartAsync();
        var put = await PresignPutAsync(server, "hang-up.bin");
        var head = Head("PUT", put.Target, [.. put.Headers, new("Content-Length", (2 * 1024 * 1024).ToString(CultureInfo.InvariantCulture))]);

        using (var midHeaders = await ConnectAsync(server))
        {
            await midHeaders.GetStream().WriteAsync(head.AsMemory(0, head.Length / 2));
        }

        using (var midBody = await ConnectAsync(server))
        {
            var stream = midBody.GetStream();
            await stream.WriteAsync(head);
            await stream.WriteAsync(new byte[512 * 1024]);
            await stream.FlushAsync();
        }

        // The server notices the reset asynchronously; wait (bounded) for the upload's temp file to be gone.
        await Eventually.WaitUntilAsync(() => server.Folder.TempFiles().Count == 0, "the cut upload's temp file is deleted");
        await AssertHealthyAsync(server, "hang-up.bin", expectStored: false);
    }

    [Fact]
    public async Task StalledBody_IsCutOffByTheMinimumDataRate_AndLeavesNothing()
    {
        // Production: 1 KiB/s after 10 s. Here 2 s of grace, so the test waits ~3 s for Kestrel to act.
        await using var server = await InProcessServer.StartAsync(configureApplication: app => Limits(app).MinRequestBodyDataRate =
            new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(2)));
        var put = await PresignPutAsync(server, "stalled.bin");
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        await stream.WriteAsync(Head("PUT", put.Target, [.. put.Headers, new("Content-Length", "1048576")]));
        await stream.WriteAsync(new byte[100]);
        var stopwatch = Stopwatch.StartNew();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = RawHttp.Parse(await RawHttp.ReadToEndAsync(stream, timeout.Token));

        output.WriteLine($"stalled body answered {response.Status} after {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.False(timeout.IsCancellationRequested, "the stalled upload was never cut off");
        Assert.True(response.Status is 0 or 408 or 400, $"{response.Status} {response.Body}");
        await Eventually.WaitUntilAsync(() => server.Folder.TempFiles().Count == 0, "the stalled upload's temp file is deleted");
        await AssertHealthyAsync(server, "stalled.bin", expectStored: false);
    }

    [Fact]
    public async Task StalledHeaders_AreCutOffByTheRequestHeadersTimeout()
    {
        // Production: 30 s. Here 2 s.
        await using var server = await InProcessServer.StartAsync(configureApplication: app => Limits(app).RequestHeadersTimeout = TimeSpan.FromSeconds(2));
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /examplebucket/k HTTP/1.1\r\nHost: {server.Server.Endpoint.Authority}\r\nx-slow: "));
        var stopwatch = Stopwatch.StartNew();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = RawHttp.Parse(await RawHttp.ReadToEndAsync(stream, timeout.Token));

        output.WriteLine($"stalled headers answered {response.Status} after {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.False(timeout.IsCancellationRequested, "the stalled headers were never cut off");
        Assert.True(response.Status is 0 or 408, $"{response.Status} {response.Body}");
        await AssertHealthyAsync(server, "after-slow-headers.txt", expectStored: false);
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimit_AreClosed_AndTheServerRecovers()
    {
        // Production: 1000. Here 50, the same mechanism with fewer sockets.
        const int Limit = 50;
        await using var server = await InProcessServer.StartAsync(configureApplication: app => Limits(app).MaxConcurrentConnections = Limit);
        var clients = new List<TcpClient>();
        try
        {
            for (var i = 0; i < Limit + 10; i++)
            {
                clients.Add(await ConnectAsync(server));
            }

            // A keep-alive request on each: the accepted connections answer and stay open; the extra ones are closed
            // unanswered (Kestrel counts a connection from accept until it closes).
            var request = Encoding.ASCII.GetBytes($"GET /examplebucket/k HTTP/1.1\r\nHost: {server.Server.Endpoint.Authority}\r\n\r\n");
            var answers = await Task.WhenAll(clients.Select(async c =>
            {
                try
                {
                    await c.GetStream().WriteAsync(request);
                    var buffer = new byte[12];
                    var read = await c.GetStream().ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
                    return read == buffer.Length;
                }
                catch (IOException)
                {
                    return false;
                }
            }));

            output.WriteLine($"{answers.Count(a => a)} answered, {answers.Count(a => !a)} closed");
            Assert.Equal(Limit, answers.Count(a => a));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        await AssertHealthyAsync(server, "after-connections.txt", expectStored: false);
    }

    private static KestrelServerLimits Limits(WebApplication app) =>
        app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;

    private static async Task<(string Target, List<KeyValuePair<string, string>> Headers)> PresignPutAsync(InProcessServer server, string key)
    {
        var presigned = await server.CreateClient().PresignAsync(new PutObjectRequest { Bucket = InProcessServer.Bucket, Key = key });
        var (authority, target) = Auth.SignedParts.Split(presigned.Url);
        return (target, [new("Host", authority)]);
    }

    private static Task<RawResponse> SendAsync(InProcessServer server, string method, string target, List<KeyValuePair<string, string>> headers, byte[] body)
    {
        if (!headers.Exists(h => h.Key is "Content-Length" or "Transfer-Encoding"))
        {
            headers = [.. headers, new("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture))];
        }

        return RawHttp.SendAsync(server.Server.Endpoint, method, target, headers, body);
    }

    private static byte[] Head(string method, string target, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(head.Append("\r\n").ToString());
    }

    private static byte[] Chunk(byte[] body, int[] sizes)
    {
        using var chunked = new MemoryStream();
        var offset = 0;
        foreach (var size in sizes)
        {
            chunked.Write(Encoding.ASCII.GetBytes(size.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
            chunked.Write(body, offset, size);
            chunked.Write("\r\n"u8);
            offset += size;
        }

        chunked.Write("0\r\n\r\n"u8);
        return chunked.ToArray();
    }

    private static async Task<TcpClient> ConnectAsync(InProcessServer server)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.Server.Endpoint.Port);
        return client;
    }

    private static async Task<byte[]?> GetAsync(InProcessServer server, string key)
    {
        var presigned = await server.CreateClient().PresignAsync(new GetObjectRequest { Bucket = InProcessServer.Bucket, Key = key });
        using var response = await server.Http.GetAsync(InProcessServer.RawUri(presigned.Url));
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsByteArrayAsync() : null;
    }

    /// <summary>The refused object is absent, a normal upload still works, and the data folder holds only committed bodies.</summary>
    private static async Task AssertHealthyAsync(InProcessServer server, string refusedKey, bool expectStored)
    {
        Assert.Equal(expectStored, await GetAsync(server, refusedKey) is not null);
        var put = await PresignPutAsync(server, "healthy.txt");
        var response = await SendAsync(server, "PUT", put.Target, put.Headers, Body);
        Assert.Equal(200, response.Status);
        Assert.Equal(Body, await GetAsync(server, "healthy.txt"));
        await server.Folder.AssertNoOrphansEventuallyAsync();
    }
}
