using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Server;

namespace OssPresign.Reliability.Tests;

/// <summary>
/// A <see cref="LocalOssServer"/> in this process on 127.0.0.1, port 0, with its data in a fresh temp folder that is
/// deleted on dispose; one access key <c>test-key</c> and an STS key <c>sts-key</c>.
/// </summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    public const string Bucket = "examplebucket";
    public const string OtherBucket = "otherbucket";
    public const string StsToken = "sts+token/=";

    private InProcessServer(LocalOssServer server, DataFolder folder, TimeProvider time)
    {
        Server = server;
        Folder = folder;
        Time = time;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Endpoint, Timeout = TimeSpan.FromMinutes(2) };
    }

    public static readonly DateTimeOffset FakeStart = new(2026, 3, 14, 15, 9, 26, TimeSpan.Zero);

    public LocalOssServer Server { get; }

    public DataFolder Folder { get; }

    public TimeProvider Time { get; }

    public HttpClient Http { get; }

    /// <param name="time">The server clock; a <see cref="FakeTimeProvider"/> at <see cref="FakeStart"/> when null.</param>
    /// <param name="configureApplication">Runs before the start, e.g. to shorten Kestrel's timeouts for a test.</param>
    /// <param name="accessKeys">Other keys than test-key and sts-key.</param>
    /// <param name="buckets">Other buckets than examplebucket and otherbucket.</param>
    public static async Task<InProcessServer> StartAsync(
        TimeProvider? time = null, Action<WebApplication>? configureApplication = null, IList<LocalAccessKey>? accessKeys = null, IList<string>? buckets = null)
    {
        time ??= new FakeTimeProvider(FakeStart);
        var folder = new DataFolder(DataFolder.CreateTemporary());
        var server = await LocalOssServer.StartAsync(new LocalOssServerOptions
        {
            Port = 0,
            DataDirectory = folder.Path,
            Buckets = buckets ?? [Bucket, OtherBucket],
            AccessKeys = accessKeys ??
            [
                new LocalAccessKey("test-key", "test-secret"),
                new LocalAccessKey("sts-key", "sts-secret") { SecurityToken = StsToken },
            ],
            TimeProvider = time,
            ConfigureApplication = configureApplication,
        });
        return new InProcessServer(server, folder, time);
    }

    public OssClient CreateClient(string accessKeyId = "test-key", IList<string>? additionalHeaders = null) => new(new OssClientOptions
    {
        Region = Server.Region,
        Endpoint = Server.Endpoint,
        UsePathStyle = true,
        CredentialsProvider = accessKeyId == "sts-key"
            ? new StaticCredentialsProvider("sts-key", "sts-secret", StsToken)
            : new StaticCredentialsProvider(accessKeyId, "test-secret"),
        AdditionalHeaders = additionalHeaders ?? [],
        TimeProvider = Time,
    });

    /// <summary>A URI that keeps escapes and dot segments as written (OSS-V4.md §1.17).</summary>
    public static Uri RawUri(string url) => new(url, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Folder.Delete();
    }
}
