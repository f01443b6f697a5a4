using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Upload;

namespace OssPresign.Cli.Tests.Commands;

public sealed class UploadCommandTests(LocalServerFixture fixture) : IClassFixture<LocalServerFixture>, IDisposable
{
    private readonly string _file = TempFile.Create(4096);

    public void Dispose() => File.Delete(_file);

    private async Task<string> PresignAsync(string key, TimeProvider? time = null, params string[] more)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, time, fixture.PresignArgs(key, ["--json", .. more]));
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        return json.RootElement.GetProperty("url").GetString()!;
    }

    [Fact]
    public async Task Upload_MissingFile_IsBadUsage()
    {
        var url = await PresignAsync("missing-file.bin");
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".bin");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, missing]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("does not exist", run.Error.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync("missing-file.bin"));
    }

    [Fact]
    public async Task Upload_Folder_IsBadUsage()
    {
        var url = await PresignAsync("folder.bin");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, Path.GetTempPath()]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is a folder; give the file to upload", run.Error.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync("folder.bin"));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.com/k")]
    public async Task Upload_NotAnHttpUrl_IsBadUsage(string url)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, _file]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is neither an http or https URL nor a file", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_MissingArguments_IsBadUsage()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Usage:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_ExpiredUrl_IsRefusedBeforeSendingAndByTheServer()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var url = await PresignAsync("expired.bin", time, "--expires", "1h");
        time.Advance(TimeSpan.FromHours(3));

        var run = await CliHarness.RunAsync(fixture.Environment, time, ["upload", url, _file]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("the URL expired 2 h ago", run.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was uploaded", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);

        // Signed two hours in the past and valid for one: the server, on its own clock, refuses it too.
        var past = new FakeTimeProvider(TimeProvider.System.GetUtcNow().AddHours(-2));
        var stale = await PresignAsync("expired.bin", past, "--expires", "1h");
        var error = await Assert.ThrowsAsync<OssRequestFailedException>(() => new PresignedUploader(new HttpClient()).UploadFileAsync(stale, [], _file));
        Assert.Equal(403, error.StatusCode);
        Assert.Equal("AccessDenied", error.Code);
        Assert.Null(await fixture.DownloadAsync("expired.bin"));
    }

    [Fact]
    public async Task Upload_TamperedUrl_PrintsTheDecodedErrorAndWritesNothing()
    {
        var url = await PresignAsync("tamper/original.bin");
        var tampered = url.Replace("original.bin", "other.bin", StringComparison.Ordinal);

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", tampered, _file]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("HTTP 403 SignatureDoesNotMatch", run.Error, StringComparison.Ordinal);
        Assert.Contains("RequestId:", run.Error, StringComparison.Ordinal);
        Assert.Contains("does not verify with OSS_ACCESS_KEY_SECRET", run.Error, StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync("tamper/original.bin"));
        Assert.Null(await fixture.DownloadAsync("tamper/other.bin"));
    }

    [Fact]
    public async Task Upload_MalformedSignatureParameters_IsRefusedWithoutSending()
    {
        var url = await PresignAsync("malformed.bin");
        var broken = System.Text.RegularExpressions.Regex.Replace(url, "x-oss-expires=[0-9]+", "x-oss-expires=soon");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", broken, _file]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not a valid presigned OSS URL: x-oss-expires must be an integer", run.Error, StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync("malformed.bin"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Upload_ContentTypeTheUrlDidNotSign_SaysSoAndWritesNothing(bool secretAtHand)
    {
        var key = $"unsigned-type-{secretAtHand}.bin";
        var url = await PresignAsync(key);
        var environment = secretAtHand ? fixture.Environment : [];

        var run = await CliHarness.RunAsync(environment, null, ["upload", url, _file, "--content-type", "text/plain"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("SignatureDoesNotMatch", run.Error, StringComparison.Ordinal);
        // With the secret the hint knows; without it, it says what to check.
        Assert.Contains(secretAtHand ? "hint: Content-Type was sent but the URL did not sign it" : "hint: Content-Type was sent: if the URL did not sign it", run.Error, StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync(key));
    }

    [Fact]
    public async Task Upload_SignedContentTypeNotSent_Fails()
    {
        var url = await PresignAsync("needs-type.bin", null, "--content-type", "text/plain");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, _file]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("SignatureDoesNotMatch", run.Error, StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync("needs-type.bin"));
    }

    [Fact]
    public async Task Upload_ContentTypeTwice_IsBadUsage()
    {
        var url = await PresignAsync("twice.bin");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, _file, "--content-type", "a/b", "--header", "Content-Type: a/b"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not both", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_ContentLengthOfAnotherSize_IsBadUsage_BeforeAnythingIsSent()
    {
        var url = await PresignAsync("content-length.bin");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, _file, "--header", "Content-Length: 3"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            $"error: --header Content-Length: 3, but {Path.GetFileName(_file)} is 4096 bytes; leave the header out (the upload sends the file's length) " +
            "or give the file it was meant for. Nothing was uploaded.",
            run.Error.TrimEnd());
        Assert.Empty(run.Out);
        Assert.Null(await fixture.DownloadAsync("content-length.bin"));
    }

    [Fact]
    public async Task Upload_Cancelled_StopsWithExitCode1AndWritesNothing()
    {
        var url = await PresignAsync("cancelled.bin");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var running = CliHarness.Start(fixture.Environment, null, ["upload", url, _file], cancellationToken: cancelled.Token);

        Assert.Equal(1, await running.ExitCode);
        Assert.Contains("Cancelled.", running.Error.ToString(), StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync("cancelled.bin"));
    }

    [Fact]
    public async Task Upload_ConnectionFailureThenServer_RetriesAndStoresTheFile()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var url = await PresignAsync("retried.bin", time);
        using var flaky = new FailFirstHandler();

        var running = CliHarness.Start(fixture.Environment, time, ["upload", url, _file], httpHandler: flaky);
        for (var steps = 0; !running.ExitCode.IsCompleted && steps < 10_000; steps++)
        {
            // Lets the backoff wait elapse on the fake clock; no real time has to pass.
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        Assert.True(await running.ExitCode == 0, running.Error.ToString());
        Assert.Contains("Attempts:    2", running.Out.ToString(), StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(_file), await fixture.DownloadAsync("retried.bin"));
    }

    [Fact]
    public async Task Upload_EmptyFile_Works()
    {
        var empty = TempFile.Create(0);
        try
        {
            var url = await PresignAsync("empty.bin");

            var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, empty]);

            Assert.True(run.ExitCode == 0, run.Error);
            var stored = await fixture.DownloadAsync("empty.bin");
            Assert.NotNull(stored);
            Assert.Empty(stored);
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Fact]
    public async Task Upload_AnsweredWithARedirect_DoesNotFollowIt_AndSaysWhy()
    {
        // Following a 303 turned the PUT into a GET of another page, whose 200 the upload reported as stored.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var requestLines = new List<string>();
        var serving = Task.Run(async () =>
        {
            while (true)
            {
                using var connection = await listener.AcceptTcpClientAsync();
                using var reader = new StreamReader(connection.GetStream(), Encoding.ASCII, leaveOpen: true);
                var requestLine = await reader.ReadLineAsync();
                lock (requestLines)
                {
                    requestLines.Add(requestLine ?? string.Empty);
                }

                while (!string.IsNullOrEmpty(await reader.ReadLineAsync()))
                {
                }

                var answer = requestLine?.StartsWith("GET", StringComparison.Ordinal) == true
                    ? "HTTP/1.1 200 OK\r\nETag: \"PAGE\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    : $"HTTP/1.1 303 See Other\r\nLocation: http://127.0.0.1:{port}/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                await connection.GetStream().WriteAsync(Encoding.ASCII.GetBytes(answer));
            }
        });
        var url = (await PresignAsync("redirected.bin")).Replace(fixture.Endpoint, $"http://127.0.0.1:{port}", StringComparison.Ordinal);

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, _file]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: the upload was refused: HTTP 303", run.Error, StringComparison.Ordinal);
        Assert.Contains("hint: The server answered with a redirect (HTTP 303), which an upload does not follow", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Uploaded", run.Out, StringComparison.Ordinal);
        lock (requestLines)
        {
            Assert.StartsWith("PUT /examplebucket/redirected.bin?", Assert.Single(requestLines), StringComparison.Ordinal);
        }

        listener.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => serving);
    }

    /// <summary>Fails the first request as a refused connection would, then sends for real.</summary>
    private sealed class FailFirstHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _requests) == 1
                ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (simulated)")
                : base.SendAsync(request, cancellationToken);
    }
}
