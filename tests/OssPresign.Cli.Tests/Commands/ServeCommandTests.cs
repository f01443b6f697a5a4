using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OssPresign.Cli.Commands;

namespace OssPresign.Cli.Tests.Commands;

public sealed partial class ServeCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "oss-cli-serve-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
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
            using var http = new HttpClient();
            using var response = await http.PutAsync(url, new ByteArrayContent("hello\n"u8.ToArray()));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await serve.ExitCode);
        Assert.EndsWith("Stopping.\n", serve.Out.ToString(), StringComparison.Ordinal);
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
    [InlineData(new[] { "--port", "70000" }, "--port 70000 is not a TCP port")]
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

    [GeneratedRegex("curl -T 'hello.txt' '([^']+)'")]
    private static partial Regex CurlExample();
}
