using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OssPresign.Cli.Commands;

namespace OssPresign.Cli.Tests.Commands;

public sealed partial class ServeCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "oss-cli-serve-" + Guid.NewGuid().ToString("N"));
    private readonly string _config = Path.Combine(Path.GetTempPath(), "oss-cli-serve-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }

        File.Delete(_config);
    }

    [Fact]
    public async Task Serve_PrintsEndpointKeyAndAWorkingCurlExample_UntilCancelled()
    {
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serve = CliHarness.Start(
            new Dictionary<string, string>(), null, ["serve", "--port", "0", "--data", _data, "--bucket", "first-bucket", "--bucket", "second-bucket"],
            serverStarted: started.SetResult, cancellationToken: stop.Token);
        try
        {
            var endpoint = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // The banner is written before ServerStarted is called, and nothing else writes while the server runs.
            var banner = serve.Out.ToString();
            Assert.Contains($"Endpoint:       {endpoint}", banner, StringComparison.Ordinal);
            Assert.Contains("Region:         cn-hangzhou", banner, StringComparison.Ordinal);
            Assert.Contains("Buckets:        first-bucket, second-bucket", banner, StringComparison.Ordinal);
            Assert.Contains("Access key id:", banner, StringComparison.Ordinal);
            Assert.Contains($"Upload page:    {endpoint}_console/", banner, StringComparison.Ordinal); // on by default on loopback (console feature)
            // Without OSS_ACCESS_KEY_* in the process, the server generates a development key, and serve shows it.
            if (Environment.GetEnvironmentVariable("OSS_ACCESS_KEY_ID") is null)
            {
                Assert.Contains("export OSS_ACCESS_KEY_SECRET=", banner, StringComparison.Ordinal);
            }
            else
            {
                Assert.DoesNotContain("OSS_ACCESS_KEY_SECRET", banner, StringComparison.Ordinal);
            }

            Assert.Contains("oss-presign presign --endpoint http://127.0.0.1:", banner, StringComparison.Ordinal);

            // Run the printed example: a presigned PUT with no signed headers, as curl -T sends it.
            var url = CurlExample().Match(banner).Groups[1].Value;
            Assert.StartsWith($"{endpoint}first-bucket/hello.txt?", url, StringComparison.Ordinal);
            await AssertUploadsAsync(url);
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await serve.ExitCode);
        Assert.EndsWith("Stopping.\n", serve.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithKeysDeniedPutObject_SignsTheExampleWithAKeyAllowedIt_AndTheExampleUploads()
    {
        // The first key may do anything but upload hello.txt, the second is disabled, the third may upload to
        // second-bucket only: the example must be the third key's, in second-bucket.
        await File.WriteAllTextAsync(_config, """
            {
              "accessKeys": [
                { "id": "denied-put", "secret": "denied-secret", "policy": { "Statement": [
                    { "Effect": "Allow", "Action": "oss:*", "Resource": "acs:oss:*:*:*" },
                    { "Effect": "Deny", "Action": "oss:PutObject", "Resource": "acs:oss:*:*:*/hello.txt" } ] } },
                { "id": "disabled", "secret": "disabled-secret", "disabled": true },
                { "id": "uploader", "secret": "uploader-secret", "policy": { "Statement": [
                    { "Effect": "Allow", "Action": "oss:PutObject", "Resource": "acs:oss:*:*:second-bucket/*" } ] } }
              ]
            }
            """);
        using var stop = new CancellationTokenSource();
        var (serve, endpoint) = await StartServeAsync(stop.Token, "--config", _config, "--bucket", "first-bucket", "--bucket", "second-bucket");
        try
        {
            var banner = serve.Out.ToString();

            // OSS_ACCESS_KEY_* in the process would be the server's first key, with full access, and sign the example.
            var (title, bucket, keyId) = EnvironmentKeyId() is { } environmentKey
                ? ("Try it: a presigned PUT of hello.txt, valid for 1 h:", "first-bucket", environmentKey)
                : ("Try it: a presigned PUT of hello.txt with access key uploader, valid for 1 h:", "second-bucket", "uploader");
            Assert.Contains(title, banner, StringComparison.Ordinal);
            Assert.Contains($"--bucket {bucket} --object hello.txt", banner, StringComparison.Ordinal);
            var url = CurlExample().Match(banner).Groups[1].Value;
            Assert.StartsWith($"{endpoint}{bucket}/hello.txt?", url, StringComparison.Ordinal);
            Assert.Contains($"x-oss-credential={keyId}%2F", url, StringComparison.Ordinal);
            await AssertUploadsAsync(url);
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await serve.ExitCode);
    }

    [Fact]
    public async Task Serve_WithAnotherRegionOnAnOlderDataFolder_SignsTheExampleForTheBucketsRegion()
    {
        using (var first = new CancellationTokenSource())
        {
            var (serve, _) = await StartServeAsync(first.Token);
            await first.CancelAsync();
            Assert.Equal(0, await serve.ExitCode);
        }

        using var stop = new CancellationTokenSource();
        var (again, endpoint) = await StartServeAsync(stop.Token, "--region", "cn-beijing");
        try
        {
            // The server's warning goes to the console's log, which the harness does not capture (see LoggingTests).
            var output = again.Out.ToString();
            Assert.Contains("--region cn-hangzhou --bucket examplebucket --object hello.txt", output, StringComparison.Ordinal);
            var url = CurlExample().Match(output).Groups[1].Value;
            Assert.Contains("%2Fcn-hangzhou%2Foss%2F", url, StringComparison.Ordinal);
            await AssertUploadsAsync(url);
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await again.ExitCode);
    }

    [Fact]
    public async Task Serve_WhenNoKeyMayPutObject_SaysSoInOneLine_InsteadOfAnExampleThatFails()
    {
        await File.WriteAllTextAsync(_config, """
            {
              "accessKeys": [
                { "id": "denied-put", "secret": "denied-secret", "policy": { "Statement": [
                    { "Effect": "Allow", "Action": "oss:*", "Resource": "acs:oss:*:*:*" },
                    { "Effect": "Deny", "Action": "oss:PutObject", "Resource": "acs:oss:*:*:*/hello.txt" } ] } },
                { "id": "disabled", "secret": "disabled-secret", "disabled": true },
                { "id": "reader", "secret": "reader-secret", "policy": { "Statement": [
                    { "Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:*" } ] } }
              ]
            }
            """);
        using var stop = new CancellationTokenSource();
        var (serve, _) = await StartServeAsync(stop.Token, "--config", _config, "--bucket", "first-bucket");
        try
        {
            var banner = serve.Out.ToString();
            if (EnvironmentKeyId() is null)
            {
                var lines = banner.TrimEnd().Split('\n');
                Assert.Equal(
                    "No example upload: no enabled access key may oss:PutObject hello.txt in bucket first-bucket (see the keys' policies in the config file).",
                    lines[^1]);
                Assert.DoesNotContain("Try it", banner, StringComparison.Ordinal);
                Assert.DoesNotContain("curl", banner, StringComparison.Ordinal);
                Assert.DoesNotContain("Presign your own", banner, StringComparison.Ordinal);
            }
            else
            {
                // OSS_ACCESS_KEY_* in the process is a key with full access, so there is an example after all.
                Assert.Matches(CurlExample(), banner);
            }
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await serve.ExitCode);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void ConsoleLogging_LogsEachRequestUnlessQuiet_AndWarningsAlways(bool quiet, bool requestsLogged)
    {
        using var factory = LoggerFactory.Create(ServeCommand.ConsoleLogging(quiet));

        // The category of the server's per-request line (OssRequestHandler) and of Kestrel's own messages.
        var requests = factory.CreateLogger("OssPresign.Server.Api.OssRequestHandler");
        var kestrel = factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        Assert.Equal(requestsLogged, requests.IsEnabled(LogLevel.Information));
        Assert.True(requests.IsEnabled(LogLevel.Warning));
        Assert.False(kestrel.IsEnabled(LogLevel.Information));
        Assert.True(kestrel.IsEnabled(LogLevel.Warning));

        // The host logs a failed start with its stack trace; the command says it in one line instead.
        Assert.False(factory.CreateLogger("Microsoft.Extensions.Hosting.Internal.Host").IsEnabled(LogLevel.Error));
    }

    [Theory]
    [InlineData(new[] { "--port", "70000" }, "--port '70000' is not a TCP port")]
    [InlineData(new[] { "--bucket", "Bad_Name" }, "--bucket 'Bad_Name' is not a bucket name")]
    [InlineData(new[] { "--region", "CN Hangzhou" }, "--region 'CN Hangzhou' is not a region id")]
    [InlineData(new[] { "--config", "/nonexistent/oss.json" }, "does not exist")]
    public async Task Serve_BadUsage_ExitCode2(string[] args, string message)
    {
        var run = await CliHarness.RunAsync(new Dictionary<string, string>(), null, ["serve", "--data", _data, .. args]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--host", "example.invalid", "Host 'example.invalid' must be an IP address (e.g. 127.0.0.1 or 0.0.0.0) or 'localhost'.")]
    [InlineData("--data", "a file", "is a file; give a folder, which is created if missing.")]
    [InlineData("--config", "a folder", "is a folder; give the JSON file.")]
    public async Task Serve_ThatCannotStart_SaysWhyInOneLine_ExitCode1(string option, string value, string message)
    {
        var file = Path.GetTempFileName();
        string[] args = option switch
        {
            "--data" => ["serve", "--port", "0", "--data", file],
            "--config" => ["serve", "--port", "0", "--data", _data, "--config", Path.GetTempPath()],
            _ => ["serve", "--port", "0", "--data", _data, option, value],
        };

        // Should it start after all, it is stopped rather than left running the test run into its timeout.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var serve = CliHarness.Start(new Dictionary<string, string>(), null, args, cancellationToken: stop.Token);
        var exitCode = await serve.ExitCode;

        File.Delete(file);
        Assert.Equal(1, exitCode);
        var line = Assert.Single(serve.Error.ToString().TrimEnd().Split('\n'));
        Assert.StartsWith("error: the server did not start: ", line, StringComparison.Ordinal);
        Assert.EndsWith(message, line, StringComparison.Ordinal);
    }

    /// <summary>Starts <c>serve</c> on a free port and the test's data folder, and waits until it has printed its banner.</summary>
    private async Task<(RunningCli Serve, Uri Endpoint)> StartServeAsync(CancellationToken stop, params string[] args)
    {
        var started = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serve = CliHarness.Start(
            new Dictionary<string, string>(), null, ["serve", "--port", "0", "--data", _data, .. args], serverStarted: started.SetResult, cancellationToken: stop);

        // The banner is written before ServerStarted is called, and nothing else writes while the server runs.
        var first = await Task.WhenAny(started.Task, serve.ExitCode).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(first == started.Task, $"serve did not start: {serve.Error}");
        return (serve, await started.Task);
    }

    /// <summary>Runs the banner's example as curl -T would (a PUT of hello.txt with no signed headers); it must get 200.</summary>
    private static async Task AssertUploadsAsync(string url)
    {
        using var http = new HttpClient();
        using var response = await http.PutAsync(url, new ByteArrayContent("hello\n"u8.ToArray()));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The id of the key the server takes from OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or null when unset.</summary>
    private static string? EnvironmentKeyId() =>
        Environment.GetEnvironmentVariable("OSS_ACCESS_KEY_ID") is { Length: > 0 } id
        && Environment.GetEnvironmentVariable("OSS_ACCESS_KEY_SECRET") is { Length: > 0 } ? id : null;

    [GeneratedRegex("curl -T 'hello.txt' '([^']+)'")]
    private static partial Regex CurlExample();
}
