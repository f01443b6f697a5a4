using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OssPresign.Endpoints;
using OssPresign.Server.Api;
using OssPresign.Server.Auth;
using OssPresign.Server.Console;
using OssPresign.Server.Storage;

namespace OssPresign.Server;

/// <summary>
/// A local OSS-compatible server on Kestrel: verifies V4 presigned URLs and Authorization headers as OSS does and
/// stores objects durably in a data folder. Start one per test suite (port 0) or from <c>oss-presign serve</c>.
/// </summary>
/// <example>
/// <code>
/// await using var server = await LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = dir });
/// var url = await server.CreateClient().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "a.txt" });
/// </code>
/// </example>
public sealed partial class LocalOssServer : IAsyncDisposable
{
    private const string DevelopmentKeyFile = "dev-access-key.json";

    /// <summary>How long <see cref="DisposeAsync"/> lets requests in flight finish before it cuts them.</summary>
    private static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>Log categories that write the full request URL: its query may hold a signature and an STS token.</summary>
    private static readonly string[] RequestUrlLogCategories =
        ["Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.Server.Kestrel.BadRequests"];

    private readonly ObjectStore _store;
    private readonly TimeProvider _time;
    private int _disposed;

    private LocalOssServer(WebApplication app, ObjectStore store, Uri endpoint, string region, OssCredentials credentials,
        bool isDevelopmentKey, IReadOnlyList<string> buckets, TimeProvider time)
    {
        App = app;
        _store = store;
        Endpoint = endpoint;
        Region = region;
        Credentials = credentials;
        IsDevelopmentKey = isDevelopmentKey;
        Buckets = buckets;
        _time = time;
    }

    /// <summary>
    /// Where to reach the server, e.g. <c>http://127.0.0.1:41234</c> (loopback when it listens on every interface).
    /// Path-style: <c>{Endpoint}bucket/key</c>; virtual-hosted: <c>http://bucket.localhost:port/key</c>, the bucket read
    /// from the Host header. Browsers resolve <c>*.localhost</c> to loopback themselves; HttpClient asks the system, which
    /// often cannot (Linux without nss-myhostname): send such requests to <see cref="Endpoint"/> with the Host header
    /// set, or connect to 127.0.0.1 in a <see cref="SocketsHttpHandler.ConnectCallback"/>.
    /// </summary>
    public Uri Endpoint { get; }

    /// <summary>The service region (bare, e.g. <c>cn-hangzhou</c>): of ListBuckets, PutBucket and the default buckets.</summary>
    public string Region { get; }

    /// <summary>
    /// The key to use: the first of <see cref="LocalOssServerOptions.AccessKeys"/> when there are any (the environment is
    /// then not read), else <c>OSS_ACCESS_KEY_ID</c>/<c>OSS_ACCESS_KEY_SECRET</c> (full access) when set, else the first
    /// key of the config file (with its policy), else a development key generated once and saved in the data folder.
    /// </summary>
    public OssCredentials Credentials { get; }

    /// <summary>Whether <see cref="Credentials"/> is the generated development key.</summary>
    public bool IsDevelopmentKey { get; }

    /// <summary>The buckets that existed when the server started, sorted by name.</summary>
    public IReadOnlyList<string> Buckets { get; }

    /// <summary>
    /// The running application, for this assembly and its tests. Not public: stopping or disposing it directly would
    /// leave the store open (its threads, the folder lock); endpoints are added with
    /// <see cref="LocalOssServerOptions.ConfigureApplication"/>, which runs before the start.
    /// </summary>
    internal WebApplication App { get; }

    /// <summary>Starts a server.</summary>
    /// <param name="options">Address, data folder, region, buckets, keys, clock.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    /// <exception cref="ArgumentException">An option is not valid.</exception>
    /// <exception cref="InvalidOperationException">
    /// The config is not valid, the data folder is in use by another running server, or a development key would be
    /// exposed on a non-loopback address.
    /// </exception>
    /// <exception cref="IOException">The port is in use, or the data folder cannot be written (e.g. a read-only file system).</exception>
    public static async Task<LocalOssServer> StartAsync(LocalOssServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        ArgumentNullException.ThrowIfNull(options.Buckets);
        ArgumentNullException.ThrowIfNull(options.AccessKeys);
        foreach (var name in options.Buckets)
        {
            // Checked before anything is written: a mistake in the options leaves the data folder as it was.
            if (!OssNames.IsValidBucketName(name))
            {
                throw new ArgumentException($"Bucket name '{name}' is not valid: use 3-63 characters of a-z, 0-9 and '-'.", nameof(options));
            }
        }

        if (options.AccessKeys.Contains(null!))
        {
            throw new ArgumentException("AccessKeys holds a null key.", nameof(options));
        }

        var region = OssEndpoint.NormalizeRegion(options.Region);
        var address = ParseHost(options.Host);
        var config = options.ConfigFile is null ? new LocalOssConfigFile() : LocalOssConfigFile.Load(options.ConfigFile);
        if (File.Exists(options.DataDirectory))
        {
            // CreateDirectory would say only that "the file already exists".
            throw new ArgumentException($"The data folder '{options.DataDirectory}' is a file; give a folder, which is created if missing.", nameof(options));
        }

        Directory.CreateDirectory(options.DataDirectory);

        var (keys, credentials, isDevelopmentKey) = ResolveKeys(options, config);
        if (isDevelopmentKey && !IPAddress.IsLoopback(address))
        {
            throw new InvalidOperationException(
                $"Refusing to listen on {address}, which is not a loopback address, with the generated development key: anyone " +
                "on the network could use it. Set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or declare access keys in a config file.");
        }

        var keyStore = new AccessKeyStore(keys);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(LocalOssServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, address, options.Port));
        builder.Services.AddRoutingCore();

        // 64 KiB receive buffers instead of 4 KiB ones: a 1 GiB upload costs 16 times fewer recv calls.
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(new ConnectionMemoryPool.Factory(maxIdlePerPool: 32));
        builder.Logging.ClearProviders();
        options.ConfigureLogging?.Invoke(builder.Logging);

        // These categories write the full request URL, and a presigned URL's query holds its signature and STS token.
        // Added after every other configuration so that the caller's cannot switch them back on by accident.
        builder.Services.PostConfigure<LoggerFilterOptions>(SilenceRequestUrlCategories);
        builder.Services.AddSingleton(options.TimeProvider);
        builder.Services.AddSingleton(keyStore);
        builder.Services.AddSingleton(new ServerSettings(region));
        builder.Services.AddSingleton(sp => new ObjectStore(options.DataDirectory, options.TimeProvider, sp.GetRequiredService<ILogger<ObjectStore>>()));
        builder.Services.AddSingleton<RequestAuthenticator>();
        builder.Services.AddSingleton<OssRequestHandler>();

        // The browser upload page (Console/). Its presign endpoint signs with the server's keys, so only on loopback.
        if (options.EnableConsole)
        {
            builder.Services.AddSingleton(new ConsoleSettings(IPAddress.IsLoopback(address)));
        }

        var app = builder.Build();
        try
        {
            var store = app.Services.GetRequiredService<ObjectStore>();
            CreateBuckets(store, options, config, region, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<LocalOssServer>());
            app.Use(OssRequestInfo.Middleware(options.TimeProvider));
            app.MapOssEndpoints();
            app.MapConsoleEndpoints(); // Nothing unless EnableConsole registered ConsoleSettings above.
            options.ConfigureApplication?.Invoke(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            var listening = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

            // Bound to every interface: clients on this machine reach it through loopback, so that is the endpoint.
            var endpointHost = address.Equals(IPAddress.Any) ? "127.0.0.1" : address.Equals(IPAddress.IPv6Any) ? "[::1]" : listening.Host;
            var endpoint = new Uri($"http://{endpointHost}:{listening.Port}");
            var buckets = store.ListBuckets(string.Empty, string.Empty).Select(b => b.Name).ToList();
            Log.Started(app.Logger, endpoint, region, credentials.AccessKeyId, isDevelopmentKey, buckets.Count);
            return new LocalOssServer(app, store, endpoint, region, credentials, isDevelopmentKey, buckets, options.TimeProvider);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A path-style client on <see cref="Endpoint"/> and <see cref="Region"/> (or <paramref name="region"/>), signing
    /// with <paramref name="credentials"/> (default: <see cref="Credentials"/>) on the server's clock.
    /// </summary>
    /// <param name="credentials">Other credentials, e.g. a key limited by policy.</param>
    /// <param name="region">
    /// Another region: a bucket created in another region than the server's keeps it, and URLs for it are signed for
    /// it (<see cref="GetBucketRegion"/>).
    /// </param>
    /// <returns>The client.</returns>
    public OssClient CreateClient(ICredentialsProvider? credentials = null, string? region = null) => new(new OssClientOptions
    {
        Region = region ?? Region,
        Endpoint = Endpoint,
        UsePathStyle = true,
        CredentialsProvider = credentials
            ?? new StaticCredentialsProvider(Credentials.AccessKeyId, Credentials.AccessKeySecret, Credentials.SecurityToken),
        TimeProvider = _time,
    });

    /// <summary>
    /// The region of <paramref name="bucket"/>, which URLs for it must be signed for: <see cref="Region"/> unless the
    /// bucket was created in another (a data folder made with another region, or a config file's bucket).
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <returns>Its region, or null when there is no such bucket.</returns>
    public string? GetBucketRegion(string bucket)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        return _store.GetBucket(bucket)?.Region;
    }

    /// <summary>
    /// The credentials of the first access key that may upload <paramref name="key"/> to <paramref name="bucket"/>:
    /// enabled, and allowed <c>oss:PutObject</c> there by its policy, as the server decides it for a request. Keys are
    /// tried in the order <see cref="Credentials"/> is chosen from: the options' (or, when they declare none, the
    /// environment's), then the config's.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key.</param>
    /// <returns>The credentials, or null when no key may.</returns>
    public OssCredentials? FindCredentialsAllowedToPut(string bucket, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        ArgumentException.ThrowIfNullOrEmpty(key);

        var region = GetBucketRegion(bucket) ?? Region;
        return App.Services.GetRequiredService<AccessKeyStore>().CredentialsAllowedTo(OssOperation.PutObject, region, bucket, key);
    }

    /// <summary>
    /// Stops the server and releases the data folder, which keeps its data: a server started on it later sees every
    /// object, and deleting it is the caller's business. Requests in flight get up to 5 seconds to finish, then their
    /// connections are cut; an upload cut before it was committed is not stored, as after a crash.
    /// </summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Without a token the host waits 30 s for a client that stalls mid-request, which an `await using` in a test
        // (or Ctrl+C in serve) should not. Real time, not the TimeProvider: a test's fake clock that never moves must
        // not hold the stop forever.
        using (var grace = new CancellationTokenSource(StopGracePeriod))
        {
            await App.StopAsync(grace.Token).ConfigureAwait(false);
        }

        await App.DisposeAsync().ConfigureAwait(false);
        _store.Dispose();
    }

    /// <summary>
    /// Kestrel limits, chosen rather than inherited:
    /// <list type="bullet">
    /// <item>MaxRequestBodySize 5 GiB: the OSS PutObject limit (larger bodies get EntityTooLarge).</item>
    /// <item>MaxRequestLineSize 16 KiB: a 1023-byte key, percent-encoded (up to 3 KiB), plus a presigned query with an
    /// STS token fits; the default 8 KiB may not.</item>
    /// <item>MaxRequestHeadersTotalSize 64 KiB and MaxRequestHeaderCount 100: room for x-oss-meta-* (8 KiB on OSS)
    /// and browsers' headers, still bounded.</item>
    /// <item>RequestHeadersTimeout 30 s: a client that opens a connection and dribbles headers is dropped.</item>
    /// <item>MinRequestBodyDataRate 1 KiB/s after a 10 s grace: a stalled upload cannot hold a connection forever,
    /// a slow but moving one is fine. MinResponseDataRate likewise for downloads.</item>
    /// <item>KeepAliveTimeout 2 min and MaxConcurrentConnections 1000: bounded for a developer machine.</item>
    /// </list>
    /// </summary>
    private static void ConfigureKestrel(KestrelServerOptions kestrel, IPAddress address, int port)
    {
        kestrel.AddServerHeader = false;

        // A response-* override beyond ASCII (a download named in Chinese) goes back as the UTF-8 it came in, as OSS
        // passes it through; Kestrel's default, ASCII only, made it a 500. Stored headers are ASCII (HeaderText).
        kestrel.ResponseHeaderEncodingSelector = static _ => Encoding.UTF8;
        var limits = kestrel.Limits;
        limits.MaxRequestBodySize = ObjectStore.MaxObjectSize;
        limits.MaxRequestLineSize = 16 * 1024;
        limits.MaxRequestHeadersTotalSize = 64 * 1024;
        limits.MaxRequestHeaderCount = 100;
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(10));
        limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(10));
        limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
        limits.MaxConcurrentConnections = 1000;
        kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1);
    }

    /// <summary>
    /// Turns off the categories that log request URLs, for every provider. A rule naming a provider beats every rule
    /// that names none (however specific its category), so a caller's <c>AddFilter&lt;TProvider&gt;(...)</c> or a
    /// configuration's <c>Logging:Console:LogLevel</c> would switch a provider-less rule off again: each provider named
    /// in the rules gets its own rule too, last and with the full category name, so that it wins.
    /// </summary>
    private static void SilenceRequestUrlCategories(LoggerFilterOptions filters)
    {
        string?[] providers = [null, .. filters.Rules.Select(r => r.ProviderName).OfType<string>().Distinct(StringComparer.Ordinal)];
        foreach (var provider in providers)
        {
            foreach (var category in RequestUrlLogCategories)
            {
                filters.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.None, filter: null));
            }
        }
    }

    private static IPAddress ParseHost(string host)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var address)
            ? address
            : throw new ArgumentException($"Host '{host}' must be an IP address (e.g. 127.0.0.1 or 0.0.0.0) or 'localhost'.", nameof(host));
    }

    private static (List<LocalAccessKey> Keys, OssCredentials Credentials, bool IsDevelopmentKey) ResolveKeys(
        LocalOssServerOptions options, LocalOssConfigFile config)
    {
        // An empty token is no token, as in the config file and OSS_SESSION_TOKEN: else the key could sign nothing.
        var declared = options.AccessKeys.Select(k => k.SecurityToken is "" ? k with { SecurityToken = null } : k).ToList();
        var configured = declared.Concat(config.ToAccessKeys()).ToList();
        if (declared.Count > 0)
        {
            // Keys declared in code are what an embedding test suite means to sign with: the shell's OSS_ACCESS_KEY_*
            // (exported for serve, say) must not replace them, or the suite would pass in CI and fail on a desk.
            var first = declared[0];
            return (configured, new OssCredentials(first.AccessKeyId, first.AccessKeySecret, first.SecurityToken), false);
        }

        // Trimmed, and whitespace-only is unset, as the library's EnvironmentVariableCredentialsProvider reads them: the
        // server must accept the key that clients reading the same variables sign with.
        var envId = Environment.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.AccessKeyIdVariable)?.Trim();
        var envSecret = Environment.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.AccessKeySecretVariable)?.Trim();
        if (!string.IsNullOrEmpty(envId) && !string.IsNullOrEmpty(envSecret))
        {
            // The environment's key has full access; a session token there makes it an STS key that requests must carry.
            var envToken = Environment.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.SessionTokenVariable)?.Trim();
            var envKey = new LocalAccessKey(envId, envSecret) { SecurityToken = string.IsNullOrEmpty(envToken) ? null : envToken };
            return ([envKey, .. configured.Where(k => k.AccessKeyId != envId)], new OssCredentials(envId, envSecret, envKey.SecurityToken), false);
        }

        if (configured.Count > 0)
        {
            var first = configured[0];
            return (configured, new OssCredentials(first.AccessKeyId, first.AccessKeySecret, first.SecurityToken), false);
        }

        var development = LoadOrCreateDevelopmentKey(options.DataDirectory);
        return ([development], new OssCredentials(development.AccessKeyId, development.AccessKeySecret), true);
    }

    private static LocalAccessKey LoadOrCreateDevelopmentKey(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, DevelopmentKeyFile);
        if (File.Exists(path))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var id = root.GetProperty("accessKeyId").GetString();
            var secret = root.GetProperty("accessKeySecret").GetString();
            if (!string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(secret))
            {
                return new LocalAccessKey(id, secret);
            }
        }

        var key = new LocalAccessKey(
            "LTAIdev" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', 'x').Replace('/', 'y'));
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new { accessKeyId = key.AccessKeyId, accessKeySecret = key.AccessKeySecret }));
        if (!OperatingSystem.IsWindows())
        {
            // The file holds a secret: readable by its owner only.
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
        return key;
    }

    private static void CreateBuckets(ObjectStore store, LocalOssServerOptions options, LocalOssConfigFile config, string region, ILogger logger)
    {
        foreach (var bucket in config.Buckets)
        {
            if (!OssNames.IsValidBucketName(bucket.Name))
            {
                throw new InvalidOperationException(
                    $"The config file declares bucket '{bucket.Name}', which is not a valid name: use 3-63 characters of a-z, 0-9 and '-'.");
            }

            var bucketRegion = bucket.Region is null ? region : OssEndpoint.NormalizeRegion(bucket.Region);
            store.EnsureBucket(bucket.Name!, bucketRegion, bucket.Cors ?? [], replaceCors: true);
            var stored = store.GetBucket(bucket.Name!)!;
            if (stored.Region != bucketRegion)
            {
                Log.RegionIgnored(logger, stored.Name, stored.Region, bucketRegion);
            }
        }

        foreach (var name in options.Buckets)
        {
            // Only a new bucket gets the development rule; rules declared in the config file are kept.
            store.EnsureBucket(name, region, [CorsRule.Development], replaceCors: false);
            if (store.GetBucket(name)!.Region != region)
            {
                // A bucket's region is fixed when it is created, as on OSS: URLs signed for the new one get 403.
                Log.RegionIgnored(logger, name, store.GetBucket(name)!.Region, region);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information,
            Message = "Local OSS server on {Endpoint}, region {Region}, access key {AccessKeyId} (development key: {IsDevelopmentKey}), buckets: {BucketCount}")]
        public static partial void Started(ILogger logger, Uri endpoint, string region, string accessKeyId, bool isDevelopmentKey, int bucketCount);

        [LoggerMessage(Level = LogLevel.Warning,
            Message = "Bucket {Bucket} already exists in region {Existing}, which it keeps: sign its URLs for {Existing}, not {Configured}")]
        public static partial void RegionIgnored(ILogger logger, string bucket, string existing, string configured);
    }
}
