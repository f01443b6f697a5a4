using OssPresign.Server;

namespace OssPresign.Cli.Tests;

/// <summary>The outcome of one in-process run of the tool.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>The line after <c>URL:</c> in presign's human output.</summary>
    public string PresignedUrl()
    {
        var lines = Out.Split('\n');
        var index = Array.FindIndex(lines, l => l.TrimEnd() == "URL:");
        Assert.True(index >= 0, "no URL: line in\n" + Out);
        return lines[index + 1].TrimEnd();
    }
}

/// <summary>Runs <c>oss-presign</c> commands in-process through <see cref="Program.RunAsync"/>.</summary>
internal static class CliHarness
{
    public static async Task<CliRun> RunAsync(
        IReadOnlyDictionary<string, string> environment, TimeProvider? time, string[] args, string? stdin = null)
    {
        var running = Start(environment, time, args, stdin);
        var exitCode = await running.ExitCode;
        return new CliRun(exitCode, running.Out.ToString(), running.Error.ToString());
    }

    /// <summary>Starts a command without waiting for it, for <c>serve</c>, which runs until cancelled.</summary>
    public static RunningCli Start(
        IReadOnlyDictionary<string, string> environment, TimeProvider? time, string[] args, string? stdin = null, Action<Uri>? serverStarted = null,
        HttpMessageHandler? httpHandler = null, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Out = CliContext.CreatePlainConsole(output),
            Error = CliContext.CreatePlainConsole(error),
            In = new StringReader(stdin ?? string.Empty),
            GetEnvironmentVariable = name => environment.GetValueOrDefault(name),
            TimeProvider = time ?? TimeProvider.System,
            ServerStarted = serverStarted,
            HttpHandler = httpHandler,
        };
        return new RunningCli(Program.RunAsync(args, context, cancellationToken), output, error);
    }
}

/// <summary>A command started with <see cref="CliHarness.Start"/>: its exit code to come and its output so far.</summary>
internal sealed record RunningCli(Task<int> ExitCode, StringWriter Out, StringWriter Error);

/// <summary>One local server for a test class, on a free port and a temporary data folder, deleted afterwards.</summary>
public sealed class LocalServerFixture : IAsyncLifetime
{
    public const string Bucket = "examplebucket";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "oss-cli-tests-" + Guid.NewGuid().ToString("N"));
    private LocalOssServer? _server;

    public LocalOssServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    /// <summary><c>http://127.0.0.1:PORT</c>, for <c>--endpoint</c>.</summary>
    public string Endpoint => Server.Endpoint.GetLeftPart(UriPartial.Authority);

    /// <summary>The server's key, as the tool reads it from the environment.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["OSS_ACCESS_KEY_ID"] = Server.Credentials.AccessKeyId,
        ["OSS_ACCESS_KEY_SECRET"] = Server.Credentials.AccessKeySecret,
    };

    public string[] PresignArgs(string key, params string[] more) =>
        ["presign", "--endpoint", Endpoint, "--region", Server.Region, "--bucket", Bucket, "--object", key, .. more];

    public async Task InitializeAsync() =>
        _server = await LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = _data, Buckets = [Bucket] });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>The object's bytes through a presigned GET, or null when the server answers 404.</summary>
    public async Task<byte[]?> DownloadAsync(string key)
    {
        var get = await Server.CreateClient().PresignAsync(new GetObjectRequest { Bucket = Bucket, Key = key });
        using var http = new HttpClient();
        using var response = await http.GetAsync(get.Url);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }
}
