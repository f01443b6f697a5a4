using System.Net.Http.Headers;
using System.Xml.Linq;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Http;

namespace OssPresign.Server.Tests;

/// <summary>
/// A real <see cref="LocalOssServer"/> on 127.0.0.1, port 0, with its data in a fresh temp folder that is deleted on
/// dispose, and a fake clock shared by the server and its clients.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 14, 15, 9, 26, TimeSpan.Zero);

    private TestServer(LocalOssServer server, string dataDirectory, FakeTimeProvider time)
    {
        Server = server;
        DataDirectory = dataDirectory;
        Time = time;
        Http = new HttpClient { BaseAddress = server.Endpoint };
    }

    public LocalOssServer Server { get; private set; }

    public string DataDirectory { get; }

    public FakeTimeProvider Time { get; }

    public HttpClient Http { get; private set; }

    public OssClient Client => Server.CreateClient();

    public static Task<TestServer> StartAsync(Func<LocalOssServerOptions, LocalOssServerOptions>? configure = null) =>
        StartAsync(NewDataDirectory(), new FakeTimeProvider(Start), configure);

    /// <summary>Starts a server whose only access keys are <paramref name="keys"/>.</summary>
    public static Task<TestServer> StartWithKeysAsync(params LocalAccessKey[] keys) => StartAsync(o => new LocalOssServerOptions
    {
        Port = 0,
        DataDirectory = o.DataDirectory,
        TimeProvider = o.TimeProvider,
        AccessKeys = keys,
    });

    public static async Task<TestServer> StartAsync(string dataDirectory, FakeTimeProvider time, Func<LocalOssServerOptions, LocalOssServerOptions>? configure = null)
    {
        var options = new LocalOssServerOptions
        {
            Port = 0,
            DataDirectory = dataDirectory,
            Buckets = ["examplebucket", "otherbucket"],
            AccessKeys = [new LocalAccessKey("test-key", "test-secret")],
            TimeProvider = time,
        };
        var server = await LocalOssServer.StartAsync(configure?.Invoke(options) ?? options);
        return new TestServer(server, dataDirectory, time);
    }

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "oss-server-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Stops the server and starts another on the same data folder and clock.</summary>
    public async Task RestartAsync(Func<LocalOssServerOptions, LocalOssServerOptions>? configure = null)
    {
        Http.Dispose();
        await Server.DisposeAsync();
        var restarted = await StartAsync(DataDirectory, Time, configure);
        Server = restarted.Server;
        Http = restarted.Http;
    }

    /// <summary>
    /// An HttpClient that signs with the V4 Authorization header (the library's handler), path-style, sending through
    /// <paramref name="inner"/> (default: a plain <see cref="SocketsHttpHandler"/>).
    /// </summary>
    public HttpClient CreateSigningClient(ICredentialsProvider? credentials = null, HttpMessageHandler? inner = null) => new(new OssSigningHandler(new OssClientOptions
    {
        Region = Server.Region,
        Endpoint = Server.Endpoint,
        UsePathStyle = true,
        CredentialsProvider = credentials ?? new StaticCredentialsProvider(Server.Credentials.AccessKeyId, Server.Credentials.AccessKeySecret),
        TimeProvider = Time,
    }, inner ?? new SocketsHttpHandler()))
    {
        BaseAddress = Server.Endpoint,
    };

    /// <summary>Presigns a PUT and uploads <paramref name="body"/> through it.</summary>
    public async Task<HttpResponseMessage> PutAsync(string bucket, string key, byte[] body, OssClient? client = null)
    {
        var presigned = await (client ?? Client).PresignAsync(new PutObjectRequest { Bucket = bucket, Key = key });
        return await Http.SendAsync(Request(presigned, new ByteArrayContent(body)));
    }

    /// <summary>Presigns a GET and returns the response.</summary>
    public async Task<HttpResponseMessage> GetAsync(string bucket, string key, OssClient? client = null)
    {
        var presigned = await (client ?? Client).PresignAsync(new GetObjectRequest { Bucket = bucket, Key = key });
        return await Http.SendAsync(Request(presigned));
    }

    /// <summary>A request for a presigned URL carrying its signed headers.</summary>
    public static HttpRequestMessage Request(PresignResult presigned, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(presigned.Method), RawUri(presigned.Url)) { Content = content };
        foreach (var (name, value) in presigned.SignedHeaders)
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    /// <summary>A URI that keeps dot segments and escapes as written (OSS-V4.md §1.17).</summary>
    public static Uri RawUri(string url) => new(url, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    public static async Task<XElement> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        var xml = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Error", xml.Name.LocalName);
        Assert.Equal(Single(response.Headers, "x-oss-request-id"), xml.Element("RequestId")?.Value);
        Assert.False(string.IsNullOrEmpty(xml.Element("EC")?.Value));
        Assert.NotNull(xml.Element("HostId"));
        return xml;
    }

    public static string Single(HttpResponseHeaders headers, string name) => Assert.Single(headers.GetValues(name));

    /// <summary>
    /// Sends a raw HTTP/1.1 request head and <paramref name="body"/> over a socket, so a test can lie about
    /// Content-Length or hang up mid-body, which HttpClient will not do.
    /// </summary>
    /// <returns>The response text, or null when <paramref name="hangUp"/> closed the socket before any response.</returns>
    public async Task<string?> SendRawAsync(string method, string url, long contentLength, byte[] body, bool hangUp)
    {
        var target = url[url.IndexOf('/', "http://".Length)..];
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(Server.Endpoint.Host, Server.Endpoint.Port);
        var stream = socket.GetStream();
        var head = $"{method} {target} HTTP/1.1\r\nHost: {Server.Endpoint.Authority}\r\nContent-Length: {contentLength}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
        if (hangUp)
        {
            socket.Client.Shutdown(System.Net.Sockets.SocketShutdown.Both);
            return null;
        }

        var buffer = new byte[64 * 1024];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total))) > 0)
        {
            total += read;
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, total);
            if (text.Contains("</Error>", StringComparison.Ordinal))
            {
                break;
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>Waits (bounded) for a condition the server reaches asynchronously, e.g. after a client hangs up.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            Assert.False(timeout.IsCancellationRequested, $"Timed out waiting until {what}.");
            await Task.Yield();
            await Task.Delay(10, CancellationToken.None);
        }
    }

    /// <summary>The smallest body the store keeps as a file; shorter ones are kept in SQLite.</summary>
    public const int FileBodySize = 64 * 1024;

    /// <summary>The body files under <c>objects/</c>.</summary>
    public string[] BodyFiles() => Directory.GetFiles(Path.Combine(DataDirectory, "objects"), "*", SearchOption.AllDirectories);

    /// <summary>
    /// Runs SQL on the server's own database (a separate connection, as another process would), e.g. to add a trigger
    /// that makes SQLite refuse a commit as a full disk would.
    /// </summary>
    public void ExecuteSql(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataDirectory, "metadata.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; failing a passed test over it is not.
        }
    }
}
