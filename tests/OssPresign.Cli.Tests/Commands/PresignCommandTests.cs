using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Extensions.Time.Testing;

namespace OssPresign.Cli.Tests.Commands;

public sealed class PresignCommandTests(LocalServerFixture fixture) : IClassFixture<LocalServerFixture>
{
    [Fact]
    public async Task Presign_ThenUpload_ObjectIsThereByteEqual()
    {
        var file = TempFile.Create(123_457);
        try
        {
            var presign = await CliHarness.RunAsync(fixture.Environment, null,
                fixture.PresignArgs("docs/report v1.bin", "--content-type", "application/x-test", "--meta", "author=alice", "--expires", "1h"));
            Assert.Equal(0, presign.ExitCode);
            Assert.Contains("PUT", presign.Out, StringComparison.Ordinal);
            Assert.Contains("Content-Type: application/x-test", presign.Out, StringComparison.Ordinal);
            Assert.Contains("x-oss-meta-author: alice", presign.Out, StringComparison.Ordinal);
            Assert.Contains("curl -T 'report v1.bin' -H 'Content-Type: application/x-test' -H 'x-oss-meta-author: alice' '", presign.Out, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Environment["OSS_ACCESS_KEY_SECRET"], presign.Out + presign.Error, StringComparison.Ordinal);

            var upload = await CliHarness.RunAsync(fixture.Environment, null,
                ["upload", presign.PresignedUrl(), file, "--content-type", "application/x-test", "--header", "x-oss-meta-author: alice"]);

            Assert.True(upload.ExitCode == 0, upload.Error);
            Assert.Contains("(100%)", upload.Out, StringComparison.Ordinal);
            Assert.Contains("ETag:", upload.Out, StringComparison.Ordinal);
            Assert.Equal(await File.ReadAllBytesAsync(file), await fixture.DownloadAsync("docs/report v1.bin"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task PresignJson_PrintsOnlyTheResultObject_WhichUploads()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var run = await CliHarness.RunAsync(fixture.Environment, time, fixture.PresignArgs("json.txt", "--json", "--expires", "10m", "--content-type", "text/plain"));

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal(["method", "url", "expiration", "signedHeaders"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("PUT", root.GetProperty("method").GetString());
        Assert.Equal(time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds(), root.GetProperty("expiration").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal("text/plain", root.GetProperty("signedHeaders").GetProperty("Content-Type").GetString());
        var url = root.GetProperty("url").GetString()!;
        Assert.Contains("x-oss-expires=600&", url, StringComparison.Ordinal);

        var file = TempFile.Create(10);
        try
        {
            var upload = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, file, "--content-type", "text/plain"]);
            Assert.True(upload.ExitCode == 0, upload.Error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task PresignGet_CurlLineDownloads()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs("dir/x.txt", "--method", "get"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("curl -o 'x.txt' '", run.Out, StringComparison.Ordinal);
        Assert.Contains("Signed headers:  (none", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("q/../y")]
    [InlineData("a/./b.txt")]
    [InlineData("newdir/")]
    [InlineData("dots/../newdir/")]
    public async Task PresignPut_CurlLineAsPrinted_Uploads_KeysCurlWouldOtherwiseChange(string key)
    {
        // curl drops dot segments, and -T appends the file's name to a path ending in '/': either changes the signed path.
        var run = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs(key));
        Assert.Equal(0, run.ExitCode);
        var curl = run.Out.Split('\n').Single(l => l.StartsWith("curl ", StringComparison.Ordinal));
        var file = Regex.Match(curl, "^curl -T '([^']+)'").Groups[1].Value;
        var dir = Directory.CreateTempSubdirectory("oss-cli-curl-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, file), "body");

            await BashAsync(curl + " -sS --fail -o /dev/null", dir);

            // And back through the GET URL's line, which must keep the path as well.
            var get = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs(key, "--method", "get"));
            var getCurl = get.Out.Split('\n').Single(l => l.StartsWith("curl ", StringComparison.Ordinal));
            var downloaded = Regex.Match(getCurl, "^curl -o '([^']+)'").Groups[1].Value;
            File.Delete(Path.Combine(dir, file));
            await BashAsync(getCurl + " -sS --fail", dir);
            Assert.Equal("body", await File.ReadAllTextAsync(Path.Combine(dir, downloaded)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket" }, "Option '--object' is required.")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--object", "k" }, "Option '--bucket' is required.")]
    [InlineData(new[] { "--bucket", "examplebucket", "--object", "k" }, "Option '--region' is required.")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expires", "10x" }, "--expires '10x' is not a duration")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expires", "10" }, "--expires '10' is not a duration")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expires", "8d" }, "the limit is 7 days (604800 seconds)")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expires", "604801s" }, "(604801 seconds); the limit is 7 days (604800 seconds)")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expires", "99999999999999999999d" }, "the limit is 7 days (604800 seconds)")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expires", "1h", "--expiration", "2030-01-01T00:00:00Z" }, "not both")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expiration", "yesterday" }, "is not an ISO-8601 time")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--expiration", "2001-01-01T00:00:00Z" }, "is in the past")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "post" }, "--method 'post' is not one of put, get, head")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "Example_Bucket", "--object", "k" }, "--bucket 'Example_Bucket' is not a bucket name")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "/a" }, "error: --object: The object key starts with '/', which OSS does not allow: drop the leading '/' (e.g. 'docs/a.txt', not '/docs/a.txt').")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "\\a" }, "error: --object: The object key starts with '\\', which OSS does not allow: drop the leading '\\'")]
    [InlineData(new[] { "--region", "CN Hangzhou", "--bucket", "examplebucket", "--object", "k" }, "--region 'CN Hangzhou' is not a region id")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--header", "no-colon" }, "--header 'no-colon' is not \"Name: value\"")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--meta", "novalue" }, "--meta 'novalue' is not key=value")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--meta", "a=1", "--meta", "A=2" }, "--meta a is given 2 times")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--meta", "file_type=pdf" }, "--meta file_type: a metadata name is letters, digits and '-'")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--meta", "x-oss-meta-=pdf" }, "--meta x-oss-meta-: a metadata name is")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--header", "x-a: 1", "--header", "X-A: 2" }, "--header x-a is given 2 times")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--header", "x-oss-meta-a: 1", "--meta", "a=2" }, "--meta a and --header x-oss-meta-a give the same header; give it once.")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "get", "--header", "Range: bytes=0-1" }, "--header Range is not signed unless listed: add --additional-header Range")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--header", "Content-Length: 5" }, "--header Content-Length is not signed unless listed")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--content-md5", "abc" }, "is not the base64 of a 16-byte MD5")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "get", "--content-type", "text/plain" }, "are for --method put")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--additional-header", "abc" }, "--additional-header abc is not given with --header")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--endpoint", "http://h/path" }, "--endpoint 'http://h/path' is not a URL")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--cname" }, "--cname needs --endpoint, the custom domain bound to the bucket.")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--internal", "--accelerate" }, "Give only one of --internal, --accelerate:")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--dual-stack", "--endpoint", "http://127.0.0.1:9000" }, "Give --endpoint or --dual-stack, not both")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--bogus" }, "Unrecognized command or argument '--bogus'.")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "part", "--part-number", "1" }, "--method part needs --upload-id")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "complete" }, "--method complete needs --upload-id")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "part", "--upload-id", "U" }, "--method part needs --part-number")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "part", "--upload-id", "U", "--part-number", "10001" }, "--part-number 10001 is not from 1 to 10000")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--upload-id", "U" }, "--upload-id is for --method part, complete, abort or multipart")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "abort", "--upload-id", "U", "--part-number", "1" }, "--part-number is for --method part")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "complete", "--upload-id", "U", "--meta", "a=1" }, "are for --method put, initiate or multipart")]
    [InlineData(new[] { "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--method", "initiate", "--content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==" }, "--content-md5 is for --method put or part")]
    public async Task Presign_BadUsage_PrintsUsageAndOneLineErrorWithExitCode2(string[] args, string message)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, ["presign", .. args]);

        Assert.Equal(2, run.ExitCode);
        // The usage line names the process: testhost here, oss-presign when installed.
        Assert.Matches(@"Usage:\n  \S+ presign \[options\]\nRun 'oss-presign presign --help' for every option\.\n", run.Error);
        Assert.DoesNotContain("Use the dual-stack endpoint", run.Error, StringComparison.Ordinal);
        var last = run.Error.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("error: ", last, StringComparison.Ordinal);
        Assert.Contains(message, last, StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task PresignMultipartSteps_ThePrintedCurlLinesRunTheUpload()
    {
        const string Key = "multipart/cli steps.bin";
        var dir = Directory.CreateTempSubdirectory("oss-cli-multipart-").FullName;
        try
        {
            var initiate = await PresignCurlAsync(Key, "--method", "initiate", "--content-type", "application/x-test");
            Assert.StartsWith("curl -X POST -H 'Content-Type: application/x-test' '", initiate, StringComparison.Ordinal);
            var uploadId = Regex.Match(await BashAsync(initiate + " -sS --fail", dir), "<UploadId>([0-9A-F]{32})</UploadId>").Groups[1].Value;
            Assert.NotEmpty(uploadId);

            byte[][] parts = [TempBytes(100 * 1024, 1), TempBytes(5000, 2)];
            var partList = new XElement("CompleteMultipartUpload");
            for (var number = 1; number <= parts.Length; number++)
            {
                var part = await PresignCurlAsync(Key, "--method", "part", "--upload-id", uploadId, "--part-number", number.ToString(CultureInfo.InvariantCulture));
                var pieceName = $"cli steps.bin.part{number:D5}";
                Assert.StartsWith($"curl -T '{pieceName}' '", part, StringComparison.Ordinal);
                await File.WriteAllBytesAsync(Path.Combine(dir, pieceName), parts[number - 1]);
                var headers = await BashAsync(part + " -sS --fail -D - -o /dev/null", dir);
                var etag = Regex.Match(headers, "^etag: *(\\S+)", RegexOptions.IgnoreCase | RegexOptions.Multiline).Groups[1].Value;
                partList.Add(new XElement("Part", new XElement("PartNumber", number), new XElement("ETag", etag)));
            }

            var complete = await PresignCurlAsync(Key, "--method", "complete", "--upload-id", uploadId);
            Assert.StartsWith("curl --data-binary '@parts.xml' -H 'Content-Type:' '", complete, StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(dir, "parts.xml"), partList.ToString());
            Assert.Contains("<CompleteMultipartUploadResult>", await BashAsync(complete + " -sS --fail", dir), StringComparison.Ordinal);

            Assert.Equal(parts.SelectMany(p => p).ToArray(), await fixture.DownloadAsync(Key));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        async Task<string> PresignCurlAsync(string key, params string[] more)
        {
            var run = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs(key, more));
            Assert.True(run.ExitCode == 0, run.Error);
            var lines = run.Out.Split('\n');
            return lines[Array.IndexOf(lines, "curl:") + 1].TrimEnd();
        }

        static byte[] TempBytes(int length, int seed)
        {
            var bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }

    /// <summary>Runs a command line the way a user pastes it into a shell; fails the test when it fails.</summary>
    private static async Task<string> BashAsync(string commandLine, string workingDirectory)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", commandLine])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{commandLine}\nexited {process.ExitCode}: {await error}");
        return await output;
    }

    [Theory]
    [InlineData("7d")]
    [InlineData("604800s")]
    [InlineData("6d23h59m60s")]
    public async Task Presign_ExactlySevenDays_IsAccepted(string expires)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs("k", "--expires", expires, "--json"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("x-oss-expires=604800&", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_MetadataOf8KiBOrMore_IsBadUsage_InOneLine()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs("k", "--meta", "a=" + new string('v', 8200)));

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.Equal("error: The metadata is 8212 bytes (names with their x-oss-meta- prefix, and values); OSS accepts under 8192.", line);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task Presign_ExpirationWithinTheSigningSecond_IsBadUsage()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000).AddMilliseconds(500));
        var expiration = time.GetUtcNow().AddMilliseconds(200).ToString("O", CultureInfo.InvariantCulture);

        var run = await CliHarness.RunAsync(fixture.Environment, time, fixture.PresignArgs("k", "--expiration", expiration));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("would make the URL valid for less than one second", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_WithoutCredentials_SaysWhichVariablesToSet()
    {
        var run = await CliHarness.RunAsync(new Dictionary<string, string>(), null, fixture.PresignArgs("k"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_StsTokenAndAdditionalHeader_AreInTheUrl()
    {
        var environment = new Dictionary<string, string>(fixture.Environment) { ["OSS_SESSION_TOKEN"] = "token+/=" };

        var run = await CliHarness.RunAsync(environment, null, fixture.PresignArgs("k", "--header", "abc: 1", "--additional-header", "abc", "--json"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("x-oss-security-token=token%2B%2F%3D", run.Out, StringComparison.Ordinal);
        Assert.Contains("x-oss-additional-headers=abc&", run.Out, StringComparison.Ordinal);
        Assert.Contains("\"abc\": \"1\"", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/k?")]
    [InlineData(new[] { "--path-style" }, "https://oss-cn-hangzhou.aliyuncs.com/examplebucket/k?")]
    [InlineData(new[] { "--internal" }, "https://examplebucket.oss-cn-hangzhou-internal.aliyuncs.com/k?")]
    [InlineData(new[] { "--accelerate" }, "https://examplebucket.oss-accelerate.aliyuncs.com/k?")]
    [InlineData(new[] { "--dual-stack" }, "https://examplebucket.cn-hangzhou.oss.aliyuncs.com/k?")]
    [InlineData(new[] { "--endpoint", "static.example.com", "--cname" }, "https://static.example.com/k?")]
    public async Task Presign_EndpointFlags_ShapeTheUrl(string[] flags, string prefix)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null,
            ["presign", "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k", "--json", .. flags]);

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        Assert.StartsWith(prefix, json.RootElement.GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ExitsZero()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, ["presign", "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--expires", run.Out, StringComparison.Ordinal);
    }
}
