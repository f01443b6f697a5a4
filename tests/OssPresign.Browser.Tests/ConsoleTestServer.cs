using System.Net;
using System.Text.Json;

namespace OssPresign.Browser.Tests;

/// <summary>
/// A real <see cref="LocalOssServer"/> with the console on 127.0.0.1, port 0, in a fresh temp folder deleted on
/// dispose. Buckets: <c>examplebucket</c> (development CORS rule: any origin), <c>corsallowed</c> (a rule for
/// <c>http://localhost:*</c> only) and <c>corsdenied</c> (a rule for <c>https://app.example</c> only).
/// </summary>
internal sealed class ConsoleTestServer : IAsyncDisposable
{
    private ConsoleTestServer(LocalOssServer server, string dataDirectory)
    {
        Server = server;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = server.Endpoint };
    }

    public LocalOssServer Server { get; }

    public string DataDirectory { get; }

    public HttpClient Http { get; }

    /// <summary>The page on the server's own origin (<c>http://127.0.0.1:port/_console/</c>).</summary>
    public Uri ConsoleAddress => Server.ConsoleAddress ?? throw new InvalidOperationException("The console is not enabled.");

    /// <summary>Starts the server bound to every interface, where the console is paste-only (no presign endpoint).</summary>
    public static Task<ConsoleTestServer> StartOnEveryInterfaceAsync() => StartAsync(o => new LocalOssServerOptions
    {
        Host = "0.0.0.0",
        Port = 0,
        DataDirectory = o.DataDirectory,
        ConfigFile = o.ConfigFile,
        Buckets = o.Buckets,
        AccessKeys = o.AccessKeys,
        EnableConsole = true,
    });

    /// <summary>The same page on a second origin, <c>http://localhost:port</c>: cross-origin to the presigned URLs.</summary>
    public Uri LocalhostConsoleAddress => new UriBuilder(ConsoleAddress) { Host = "localhost" }.Uri;

    /// <summary>Starts the server with only <paramref name="keys"/> (each with its policy), without the config file's buckets.</summary>
    public static Task<ConsoleTestServer> StartWithKeysAsync(params LocalAccessKey[] keys) => StartAsync(o => new LocalOssServerOptions
    {
        Port = 0,
        DataDirectory = o.DataDirectory,
        Buckets = o.Buckets,
        EnableConsole = true,
        AccessKeys = keys,
    });

    public static async Task<ConsoleTestServer> StartAsync(Func<LocalOssServerOptions, LocalOssServerOptions>? configure = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "oss-browser-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var configFile = Path.Combine(dataDirectory, "config.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(new
        {
            buckets = new object[]
            {
                new { name = "corsallowed", cors = new[] { Rule("http://localhost:*") } },
                new { name = "corsdenied", cors = new[] { Rule("https://app.example") } },
            },
        }));
        var options = new LocalOssServerOptions
        {
            Port = 0,
            DataDirectory = Path.Combine(dataDirectory, "data"),
            ConfigFile = configFile,
            Buckets = ["examplebucket"],
            AccessKeys = [new LocalAccessKey("browser-test-key", "browser-test-secret")],
            EnableConsole = true,
        };
        var server = await LocalOssServer.StartAsync(configure?.Invoke(options) ?? options);
        return new ConsoleTestServer(server, dataDirectory);
    }

    /// <summary>The stored object through a presigned GET: status, body and Content-Type.</summary>
    public async Task<(HttpStatusCode Status, byte[] Body, string? ContentType, string? ETag)> GetObjectAsync(string bucket, string key)
    {
        var presigned = await Server.CreateClient().PresignAsync(new GetObjectRequest { Bucket = bucket, Key = key });
        using var response = await Http.GetAsync(new Uri(presigned.Url));
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response.Content.Headers.ContentType?.ToString(),
            response.Headers.ETag?.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    private static object Rule(string origin) => new
    {
        AllowedOrigin = new[] { origin },
        AllowedMethod = new[] { "PUT", "GET" },
        AllowedHeader = new[] { "*" },
        ExposeHeader = new[] { "ETag", "x-oss-request-id" },
        MaxAgeSeconds = 0,
    };
}
