using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OssPresign.Server.Tests;

public sealed class LocalOssServerTests
{
    [Fact]
    public async Task WithoutKeys_GeneratesADevelopmentKey_SavesIt_AndReusesItOnRestart()
    {
        await using var t = await TestServer.StartAsync(o => new LocalOssServerOptions { Port = 0, DataDirectory = o.DataDirectory, TimeProvider = o.TimeProvider });
        var first = t.Server.Credentials;
        Assert.True(t.Server.IsDevelopmentKey);
        Assert.True(File.Exists(Path.Combine(t.DataDirectory, "dev-access-key.json")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(t.DataDirectory, "dev-access-key.json")));
        }
        using (var put = await t.PutAsync("examplebucket", "dev.txt", [1]))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await t.RestartAsync(o => new LocalOssServerOptions { Port = 0, DataDirectory = o.DataDirectory, TimeProvider = o.TimeProvider });

        Assert.Equal(first.AccessKeyId, t.Server.Credentials.AccessKeyId);
        Assert.Equal(first.AccessKeySecret, t.Server.Credentials.AccessKeySecret);
        using var get = await t.GetAsync("examplebucket", "dev.txt");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task NonLoopbackHost_WithDevelopmentKey_IsRefused()
    {
        var options = new LocalOssServerOptions { Host = "0.0.0.0", Port = 0, DataDirectory = TestServer.NewDataDirectory() };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains("development key", error.Message, StringComparison.Ordinal);
        Directory.Delete(options.DataDirectory, recursive: true);
    }

    [Fact]
    public async Task NonLoopbackHost_WithConfiguredKey_Starts_AndTheEndpointIsReachable()
    {
        await using var t = await TestServer.StartAsync(o => new LocalOssServerOptions
        {
            Host = "0.0.0.0",
            Port = 0,
            DataDirectory = o.DataDirectory,
            TimeProvider = o.TimeProvider,
            AccessKeys = o.AccessKeys,
        });

        Assert.False(t.Server.IsDevelopmentKey);
        Assert.Equal("127.0.0.1", t.Server.Endpoint.Host);
        using var put = await t.PutAsync("examplebucket", "lan.txt", [1]);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task Properties_DescribeTheServer()
    {
        await using var t = await TestServer.StartAsync();

        Assert.Equal("cn-hangzhou", t.Server.Region);
        Assert.Equal(["examplebucket", "otherbucket"], t.Server.Buckets);
        Assert.Equal("test-key", t.Server.Credentials.AccessKeyId);
        Assert.Equal("http", t.Server.Endpoint.Scheme);
        Assert.NotEqual(0, t.Server.Endpoint.Port);
        Assert.StartsWith($"{t.Server.Endpoint.GetLeftPart(UriPartial.Authority)}/examplebucket/k?",
            (await t.Client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "k" })).Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindCredentialsAllowedToPut_IsTheFirstEnabledKeyThePolicyLetsUpload_AndTheServerAgrees()
    {
        await using var t = await TestServer.StartWithKeysAsync(
            new LocalAccessKey("put-denied", "s1")
            {
                Policy = """
                    {"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"},
                      {"Effect":"Deny","Action":"oss:PutObject","Resource":"acs:oss:*:*:examplebucket/*"}]}
                    """,
            },
            new LocalAccessKey("disabled", "s2") { Disabled = true },
            new LocalAccessKey("other-region", "s3") { Policy = """{"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:cn-beijing:*:*"}]}""" },
            new LocalAccessKey("uploader", "s4") { SecurityToken = "sts-token", Policy = """{"Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:examplebucket/uploads/*"}]}""" });

        var found = t.Server.FindCredentialsAllowedToPut("examplebucket", "uploads/a.txt");

        Assert.Equal(("uploader", "s4", "sts-token"), (found?.AccessKeyId, found?.AccessKeySecret, found?.SecurityToken));
        Assert.Null(t.Server.FindCredentialsAllowedToPut("examplebucket", "a.txt"));
        using var put = await t.PutAsync("examplebucket", "uploads/a.txt", [1], t.Server.CreateClient(new StaticCredentialsProvider(found!.AccessKeyId, found.AccessKeySecret, found.SecurityToken)));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var denied = await t.PutAsync("examplebucket", "uploads/b.txt", [1], t.Server.CreateClient(new StaticCredentialsProvider("put-denied", "s1")));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    [Fact]
    public async Task InvalidPolicy_StopsTheStart_NamingTheKey()
    {
        var options = new LocalOssServerOptions
        {
            Port = 0,
            DataDirectory = TestServer.NewDataDirectory(),
            AccessKeys = [new LocalAccessKey("broken", "s") { Policy = """{"Statement":[{"Effect":"Allow"}]}""" }],
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains("'broken'", error.Message, StringComparison.Ordinal);
        Directory.Delete(options.DataDirectory, recursive: true);
    }

    [Fact]
    public async Task DataFolderThatIsAFile_IsArgumentException_SayingSo()
    {
        var file = Path.GetTempFileName();
        var options = new LocalOssServerOptions { Port = 0, DataDirectory = file, AccessKeys = [new("k", "s")] };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains($"The data folder '{file}' is a file", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(file).Length);
        File.Delete(file);
    }

    [Fact]
    public async Task ConfigFileThatIsAFolder_StopsTheStart_SayingSo()
    {
        var folder = TestServer.NewDataDirectory();
        Directory.CreateDirectory(folder);
        var options = new LocalOssServerOptions { Port = 0, DataDirectory = Path.Combine(folder, "data"), ConfigFile = folder };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains($"The config file '{folder}' is a folder", error.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("""{ "bucket": [ { "name": "abc" } ] }""", "unknown property 'bucket' at $.bucket (line 1); a config file has buckets (name, region, cors) and accessKeys")]
    [InlineData("""{ "buckets": [ { "name": "abc", "cors": [ { "AllowedOrigins": ["*"] } ] } ] }""", "unknown property 'AllowedOrigins' at $.buckets[0].cors[0].AllowedOrigins (line 1)")]
    [InlineData("""{ "accessKeys": [ { "id": " ", "secret": "s" } ] }""", "access key 1 has no \"id\".")]
    [InlineData("""{ "accessKeys": [ { "id": "k" } ] }""", "access key 'k' has no \"secret\".")]
    [InlineData("""{ "buckets": [ { "name": "abc", "cors": [ { "AllowedMethod": ["GET"] } ] } ] }""", "bucket 'abc', CORS rule 1: give at least one AllowedOrigin and one AllowedMethod.")]
    [InlineData("""{ "buckets": [ { "name": "abc", "cors": [ { "AllowedOrigin": ["*"], "AllowedMethod": ["GET"] }, { "AllowedOrigin": ["*"], "AllowedMethod": ["get"] } ] } ] }""", "bucket 'abc', CORS rule 2: AllowedMethod 'get' is not one of GET, PUT, DELETE, POST, HEAD.")]
    [InlineData("""{ "buckets": [ { "name": "abc", "cors": [ { "AllowedOrigin": ["https://*.example.*"], "AllowedMethod": ["GET"] } ] } ] }""", "bucket 'abc', CORS rule 1: 'https://*.example.*' has more than one '*'.")]
    [InlineData("""{ "buckets": [ { "name": "abc", "cors": [ { "AllowedOrigin": ["*"], "AllowedMethod": ["GET"], "MaxAgeSeconds": -1 } ] } ] }""", "MaxAgeSeconds must not be negative.")]
    [InlineData("""{ "buckets": [ { "name": "abc", "cors": [ { "AllowedOrigin": ["*"], "AllowedMethod": ["GET"], "AllowedHeader": null } ] } ] }""", "'AllowedHeader' on type 'OssPresign.Server.Storage.CorsRule' doesn't allow setting null values")]
    [InlineData("""{ "buckets": [ { "name": "abc", "cors": [ null ] } ] }""", "bucket 'abc', CORS rule 1: it is null.")]
    [InlineData("""{ "accessKeys": [ { "id": "k", "secret": "s" }, null ] }""", "access key 2 is null.")]
    [InlineData("""{ "buckets": null }""", "'Buckets' on type 'OssPresign.Server.LocalOssConfigFile' doesn't allow setting null values")]
    public async Task ConfigFile_WithAMistake_StopsTheStart_SayingWhatAndWhere(string json, string message)
    {
        var folder = TestServer.NewDataDirectory();
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "oss.json");
        await File.WriteAllTextAsync(config, json);
        var options = new LocalOssServerOptions { Port = 0, DataDirectory = Path.Combine(folder, "data"), ConfigFile = config };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains(config, error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("Bad_Bucket")]
    [InlineData("ab")]
    public async Task InvalidBucketName_IsArgumentException_BeforeAnythingIsWritten(string bucket)
    {
        var options = new LocalOssServerOptions { Port = 0, DataDirectory = TestServer.NewDataDirectory(), Buckets = [bucket], AccessKeys = [new("k", "s")] };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains($"Bucket name '{bucket}' is not valid", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(options.DataDirectory));
    }

    [Fact]
    public async Task NullListsOrKeysInTheOptions_AreArgumentExceptions_NotNullReferences()
    {
        var data = TestServer.NewDataDirectory();

        await Assert.ThrowsAsync<ArgumentNullException>(() => LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = data, Buckets = null! }));
        await Assert.ThrowsAsync<ArgumentNullException>(() => LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = data, AccessKeys = null! }));
        var nullKey = await Assert.ThrowsAsync<ArgumentException>(() => LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = data, AccessKeys = [null!] }));
        Assert.Contains("null key", nullKey.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public async Task AKeyWithAnEmptySecurityToken_IsAnOrdinaryKey_AsInTheConfigFile()
    {
        await using var t = await TestServer.StartWithKeysAsync(new LocalAccessKey("k", "s") { SecurityToken = string.Empty });

        using var put = await t.PutAsync("examplebucket", "a.txt", [1]);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Null(t.Server.Credentials.SecurityToken);
    }

    [Fact]
    public void TheHostedApplication_IsNotPublic()
    {
        // Stopping or disposing it directly would leave the store open; ConfigureApplication is the way to add endpoints.
        Assert.Null(typeof(LocalOssServer).GetProperty(nameof(LocalOssServer.App)));
    }

    [Fact]
    public async Task ConfigFile_DeclaresKeysAndBuckets()
    {
        var config = Path.Combine(Path.GetTempPath(), $"oss-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config,
            """
            {
              // Comments and trailing commas are accepted.
              "buckets": [ { "name": "configured-bucket" } ],
              "accessKeys": [
                { "id": "from-file", "secret": "file-secret",
                  "policy": { "Version": "1", "Statement": [ { "Effect": "Allow", "Action": "oss:*", "Resource": "acs:oss:*:*:configured-bucket/*" } ] } },
              ],
            }
            """);
        try
        {
            await using var t = await TestServer.StartAsync(o => new LocalOssServerOptions
            {
                Port = 0,
                DataDirectory = o.DataDirectory,
                TimeProvider = o.TimeProvider,
                ConfigFile = config,
            });

            Assert.Equal("from-file", t.Server.Credentials.AccessKeyId);
            Assert.Contains("configured-bucket", t.Server.Buckets);
            using var inside = await t.PutAsync("configured-bucket", "k", [1]);
            using var outside = await t.PutAsync("examplebucket", "k", [1]);
            Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task ConfigureApplication_MapsExtraEndpoints_BesideTheOssApi()
    {
        await using var t = await TestServer.StartAsync(o => new LocalOssServerOptions
        {
            Port = 0,
            DataDirectory = o.DataDirectory,
            TimeProvider = o.TimeProvider,
            AccessKeys = o.AccessKeys,
            ConfigureApplication = app => app.MapGet("/_console/ping", () => Results.Text("pong")),
        });

        using var ping = await t.Http.GetAsync(new Uri("/_console/ping", UriKind.Relative));
        using var oss = await t.PutAsync("examplebucket", "_console/ping", [1]);

        Assert.Equal("pong", await ping.Content.ReadAsStringAsync());
        Assert.True(ping.Headers.Contains("x-oss-request-id"));
        Assert.Equal(HttpStatusCode.OK, oss.StatusCode);
    }

    [Fact]
    public async Task SecondServerOnTheSameDataFolder_IsRefused_UntilTheFirstStops()
    {
        await using var t = await TestServer.StartAsync();
        var options = new LocalOssServerOptions { Port = 0, DataDirectory = t.DataDirectory, AccessKeys = [new("k", "s")] };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
        await t.RestartAsync();
        using var put = await t.PutAsync("examplebucket", "after-restart", [1]);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task DataFolderWhoseLockFileCannotBeOpened_IsSaidAsItIs_NotAsInUseByAnotherServer()
    {
        // A lock file that can never be opened, even by root: a symbolic link to itself (ELOOP). A read-only file system
        // fails the same way (EROFS), and was reported as "in use by another local OSS server" too.
        var dataDirectory = TestServer.NewDataDirectory();
        Directory.CreateDirectory(dataDirectory);
        File.CreateSymbolicLink(Path.Combine(dataDirectory, "server.lock"), "server.lock");
        var options = new LocalOssServerOptions { Port = 0, DataDirectory = dataDirectory, AccessKeys = [new("k", "s")] };

        var error = await Assert.ThrowsAsync<IOException>(() => LocalOssServer.StartAsync(options));

        Assert.Contains("cannot be written", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("in use", error.Message, StringComparison.Ordinal);
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task DisposeAsync_Twice_IsHarmless()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        var server = await LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = dataDirectory, AccessKeys = [new("k", "s")] });

        await server.DisposeAsync();
        await server.DisposeAsync();

        // Released: the folder can be deleted and reused.
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task DisposeAsync_WithAnUploadStalledMidBody_CutsItAfterAShortGrace_AndStoresNothing()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "stalled.bin" });
        var stalled = t.SendRawAsync("PUT", presigned.Url, contentLength: 1_000_000, body: TestServer.RandomBytes(100_000), hangUp: false);
        var temp = Path.Combine(t.DataDirectory, "tmp");
        await TestServer.WaitUntilAsync(() => Directory.GetFiles(temp).Length > 0, "the upload is under way");

        var stopping = Stopwatch.StartNew();
        await t.Server.DisposeAsync();
        stopping.Stop();

        // The host's own default is to wait 30 s for the client to send the rest.
        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
        await Assert.ThrowsAnyAsync<IOException>(() => stalled);
        await t.RestartAsync();
        using var get = await t.GetAsync("examplebucket", "stalled.bin");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Empty(Directory.GetFiles(temp));
    }

    [Fact]
    public void LocalAccessKey_ToString_HidesTheSecretAndToken()
    {
        var text = new LocalAccessKey("id", "super-secret") { SecurityToken = "sts-token" }.ToString();

        Assert.Contains("id", text, StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sts-token", text, StringComparison.Ordinal);
    }
}
