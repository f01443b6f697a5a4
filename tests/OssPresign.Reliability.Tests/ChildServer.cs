using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OssPresign.Reliability.Tests;

/// <summary>
/// <c>oss-presign serve</c> as a child process (the CLI built beside the tests) on a free loopback port, so that a test
/// can <c>kill -9</c> it (<see cref="Process.Kill()"/> sends SIGKILL) and start another on the same data folder.
/// </summary>
internal sealed partial class ChildServer : IAsyncDisposable
{
    public const string Bucket = "crashbucket";
    public const string AccessKeyId = "crash-key";
    public const string AccessKeySecret = "crash-secret";

    private readonly Process _process;
    private readonly StringBuilder _output;

    private ChildServer(Process process, StringBuilder output, Uri endpoint)
    {
        _process = process;
        _output = output;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A path-style client on the real clock (the child runs on the real clock too).</summary>
    public OssClient CreateClient() => new(new OssClientOptions
    {
        Region = "cn-hangzhou",
        Endpoint = Endpoint,
        UsePathStyle = true,
        CredentialsProvider = new StaticCredentialsProvider(AccessKeyId, AccessKeySecret),
    });

    /// <summary>The config file of a data folder: beside it, since the folder itself must hold only what the store writes.</summary>
    public static string ConfigFile(string dataDirectory) => dataDirectory + ".config.json";

    /// <summary>Starts <c>serve --port 0</c> on <paramref name="dataDirectory"/> and waits until it prints its endpoint.</summary>
    public static async Task<ChildServer> StartAsync(string dataDirectory)
    {
        var configFile = ConfigFile(dataDirectory);
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(new
        {
            buckets = new[] { new { name = Bucket } },
            accessKeys = new[] { new { id = AccessKeyId, secret = AccessKeySecret } },
        }));

        var cli = Path.Combine(AppContext.BaseDirectory, "oss-presign.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { cli, "serve", "--host", "127.0.0.1", "--port", "0", "--data", dataDirectory, "--config", configFile, "--bucket", Bucket })
        {
            start.ArgumentList.Add(argument);
        }

        // The caller's shell credentials would replace the config's key (LocalOssServer prefers the environment's).
        start.Environment.Remove("OSS_ACCESS_KEY_ID");
        start.Environment.Remove("OSS_ACCESS_KEY_SECRET");
        start.Environment.Remove("OSS_SESSION_TOKEN");
        start.Environment["DOTNET_NOLOGO"] = "1";

        var output = new StringBuilder();
        var endpoint = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (EndpointLine().Match(e.Data) is { Success: true } match)
            {
                endpoint.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Exited += (_, _) => endpoint.TrySetException(new InvalidOperationException("serve exited before it printed its endpoint:\n" + output));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Bounded: a start that hangs fails the test instead of the run.
            var uri = await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return new ChildServer(process, output, uri);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>GETs <paramref name="key"/> of the bucket through a URL <paramref name="client"/> presigned.</summary>
    public static async Task<(HttpStatusCode Status, byte[] Body)> GetAsync(HttpClient http, OssClient client, string key)
    {
        var presigned = await client.PresignAsync(new GetObjectRequest { Bucket = Bucket, Key = key });
        using var response = await http.GetAsync(presigned.Url);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Waits until <paramref name="count"/> of <paramref name="tasks"/> have finished (all, when fewer).</summary>
    public static async Task WhenCountAsync(IReadOnlyList<Task> tasks, int count)
    {
        var pending = tasks.ToList();
        for (var done = 0; done < count && pending.Count > 0; done++)
        {
            pending.Remove(await Task.WhenAny(pending));
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or a power cut of the process.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Endpoint:\s+(http://127\.0\.0\.1:\d+/?)")]
    private static partial Regex EndpointLine();
}
