using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace OssPresign.Cli.Tests.Commands;

public sealed class InspectCommandTests(LocalServerFixture fixture) : IClassFixture<LocalServerFixture>
{
    private Task<string> PresignAsync(string key, TimeProvider? time = null, params string[] more) => PresignAsync(fixture.Environment, key, time, more);

    private async Task<string> PresignAsync(IReadOnlyDictionary<string, string> environment, string key, TimeProvider? time = null, params string[] more)
    {
        var run = await CliHarness.RunAsync(environment, time, fixture.PresignArgs(key, ["--json", .. more]));
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        return json.RootElement.GetProperty("url").GetString()!;
    }

    private Dictionary<string, string> WithoutSecret() => new() { ["OSS_ACCESS_KEY_ID"] = fixture.Environment["OSS_ACCESS_KEY_ID"] };

    [Fact]
    public async Task Inspect_WithSecret_ExplainsTheUrlAndFindsItValid()
    {
        // A whole second, as the signing time is: the time left is then exactly 1 h 30 min.
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()));
        var url = await PresignAsync("docs/a b.txt", time, "--expires", "2h", "--content-type", "text/plain");
        time.Advance(TimeSpan.FromMinutes(30));

        var run = await CliHarness.RunAsync(fixture.Environment, time, ["inspect", url, "--header", "Content-Type: text/plain"]);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains("path-style", run.Out, StringComparison.Ordinal);
        Assert.Contains("Bucket:              examplebucket", run.Out, StringComparison.Ordinal);
        Assert.Contains("Key:                 docs/a b.txt", run.Out, StringComparison.Ordinal);
        Assert.Contains($"Region:              {fixture.Server.Region}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"Access key id:       {fixture.Server.Credentials.AccessKeyId}", run.Out, StringComparison.Ordinal);
        Assert.Contains("Time left:           1 h 30 min", run.Out, StringComparison.Ordinal);
        Assert.Contains("STS token:           absent", run.Out, StringComparison.Ordinal);
        Assert.Contains("Signature: valid for PUT with the given headers.", run.Out, StringComparison.Ordinal);
        Assert.Contains("content-type:text/plain\n", run.Out, StringComparison.Ordinal);
        Assert.Contains("String to sign:\nOSS4-HMAC-SHA256\n", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Environment["OSS_ACCESS_KEY_SECRET"], run.Out + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_SignedHeaderNotGiven_IsInvalid()
    {
        var url = await PresignAsync("typed.txt", null, "--content-type", "text/plain");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", url]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Signature: INVALID", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_UnsignedContentTypeGiven_IsInvalidAndNamesTheExtraHeader()
    {
        var url = await PresignAsync("untyped.txt");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", url, "--header", "Content-Type: text/plain"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Signature: INVALID", run.Out, StringComparison.Ordinal);
        Assert.Contains("Hint: the signature is valid for PUT without 'Content-Type: text/plain'", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_KeyOssRefuses_IsNotUsable_EvenUnchecked()
    {
        // An SDK that does not check names could sign this; OSS answers 400 InvalidObjectName whatever the signature.
        var url = (await PresignAsync("refused.txt")).Replace("/examplebucket/refused.txt?", "/examplebucket//refused.txt?", StringComparison.Ordinal);

        var run = await CliHarness.RunAsync(WithoutSecret(), null, ["inspect", url]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Name: refused by OSS: The object key starts with '/'", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_MultipartStepUrls_AreValidForTheirMethods()
    {
        var complete = await PresignAsync("big.bin", null, "--method", "complete", "--upload-id", "0123456789ABCDEF0123456789ABCDEF");
        var abort = await PresignAsync("big.bin", null, "--method", "abort", "--upload-id", "0123456789ABCDEF0123456789ABCDEF");

        var completeRun = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", complete]);
        var abortRun = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", abort]);

        Assert.True(completeRun.ExitCode == 0, completeRun.Out);
        Assert.Contains("Signature: valid for POST with no signed headers.", completeRun.Out, StringComparison.Ordinal);
        Assert.Contains("uploadId=0123456789ABCDEF0123456789ABCDEF", completeRun.Out, StringComparison.Ordinal);
        Assert.True(abortRun.ExitCode == 0, abortRun.Out);
        Assert.Contains("Signature: valid for DELETE with no signed headers.", abortRun.Out, StringComparison.Ordinal);
        Assert.Contains("Multipart:           Complete (POST), Abort (DELETE) or ListParts (GET)", abortRun.Out, StringComparison.Ordinal);
        Assert.Contains("upload 0123456789ABCDEF0123456789ABCDEF", abortRun.Out, StringComparison.Ordinal);
        var part = await PresignAsync("big.bin", null, "--method", "part", "--upload-id", "U1", "--part-number", "7");
        var partRun = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", part]);
        Assert.Contains("Multipart:           UploadPart (PUT), part 7", partRun.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_MethodTheUrlWasNotSignedFor_NamesTheMethodItWas()
    {
        var complete = await PresignAsync("big.bin", null, "--method", "complete", "--upload-id", "0123456789ABCDEF0123456789ABCDEF");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", complete, "--method", "PUT"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Signature: INVALID for PUT: the URL was signed for POST, so a PUT with it gets SignatureDoesNotMatch. Send it as POST.",
            System.Text.RegularExpressions.Regex.Replace(run.Out, @"\s+", " "), StringComparison.Ordinal); // the console wraps lines
    }

    [Fact]
    public async Task Inspect_AFile_SaysToGiveOneUrl()
    {
        var file = Path.GetTempFileName();
        try
        {
            var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", file]);

            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"error: '{file}' is a file; give one presigned URL", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Inspect_GetUrl_FindsTheMethod()
    {
        var url = await PresignAsync("get.txt", null, "--method", "get");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", url]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Signature: valid for GET", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_SecretFromStdin_ChecksTheSignature()
    {
        var url = await PresignAsync("stdin.txt");

        var run = await CliHarness.RunAsync(WithoutSecret(), null, ["inspect", url, "--secret-stdin"], stdin: fixture.Environment["OSS_ACCESS_KEY_SECRET"] + "\n");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Signature: valid for PUT", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Environment["OSS_ACCESS_KEY_SECRET"], run.Out + run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    public async Task Inspect_SecretStdinThatIsEmpty_IsAUsageError(string stdin)
    {
        var url = await PresignAsync("stdin-empty.txt");

        var run = await CliHarness.RunAsync(WithoutSecret(), null, ["inspect", url, "--secret-stdin"], stdin: stdin);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: --secret-stdin read no secret: pipe it in on the first line", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task Inspect_WithoutSecret_DecodesWithoutChecking()
    {
        var url = await PresignAsync("nosecret.txt");

        var run = await CliHarness.RunAsync(WithoutSecret(), null, ["inspect", url]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Signature: not checked", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_ExpiredUrl_SaysHowLongAgo()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var url = await PresignAsync("old.txt", time, "--expires", "1h");
        time.Advance(TimeSpan.FromHours(4));

        var run = await CliHarness.RunAsync(fixture.Environment, time, ["inspect", url]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("expired 3 h ago", run.Out, StringComparison.Ordinal);
        Assert.Contains("Signature: valid for PUT", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_TamperedUrl_IsInvalid()
    {
        var url = await PresignAsync("tamper.txt");

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", url.Replace("tamper.txt", "tamper.txu", StringComparison.Ordinal)]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Signature: INVALID", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://example.com/k?a=1", "it is not an OSS V4 presigned URL")]
    [InlineData("https://b.oss-cn-hangzhou.aliyuncs.com/k?OSSAccessKeyId=a&Expires=1&Signature=b", "OSS V1 presigned URL")]
    [InlineData("https://example.com/k", "no query string")]
    [InlineData("https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=bad&x-oss-signature=00&x-oss-expires=60&x-oss-date=20260101T000000Z", "x-oss-credential is malformed")]
    public async Task Inspect_NotAPresignedOssUrl_GetsAClearMessage(string url, string message)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", url]);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: not a presigned OSS V4 URL: ", run.Error, StringComparison.Ordinal);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_NotAUrl_IsBadUsage()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", "hello"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'hello' is not an http or https URL", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_UrlWithAnStsToken_ShowsTheCanonicalRequestWithoutTheWholeToken()
    {
        const string token = "CAIS1234STS-token-that-signs-with-the-secret-0123456789abcdefghijklmnop";
        var environment = new Dictionary<string, string>(fixture.Environment) { ["OSS_SESSION_TOKEN"] = token };
        var url = await PresignAsync(environment, "sts.txt");

        var run = await CliHarness.RunAsync(environment, null, ["inspect", url]);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains("STS token:           present", run.Out, StringComparison.Ordinal);
        Assert.Contains("Signature: valid for PUT", run.Out, StringComparison.Ordinal);
        Assert.Contains($"x-oss-security-token=CAIS1234...({Uri.EscapeDataString(token).Length} characters not shown)&", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(token, run.Out + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_UrlCutAtItsFirstAmpersand_SaysItWasCutShort()
    {
        // What an unquoted URL in a shell becomes.
        var url = (await PresignAsync("cut.txt")).Split('&')[0];

        var run = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", url]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("hint: The URL lacks x-oss-signature-version, x-oss-date, x-oss-expires, x-oss-signature: it was cut short. Quote the whole URL", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_UrlCutInItsLastParameter_SaysItWasCutShort()
    {
        var url = await PresignAsync("cut.txt");
        var signature = System.Text.RegularExpressions.Regex.Match(url, "x-oss-signature=([0-9a-f]+)").Groups[1].Value;
        var signatureLast = url.Replace($"&x-oss-signature={signature}", string.Empty, StringComparison.Ordinal) + $"&x-oss-signature={signature}";

        var versionCut = await CliHarness.RunAsync(fixture.Environment, null, ["inspect", url[..^10]]);
        var signatureCut = await CliHarness.RunAsync(WithoutSecret(), null, ["inspect", signatureLast[..^10]]);

        Assert.Equal(1, versionCut.ExitCode);
        Assert.Contains("hint: x-oss-signature-version is 'OSS4-H', the start of OSS4-HMAC-SHA256: the URL was cut short.", versionCut.Error, StringComparison.Ordinal);
        Assert.Equal(1, signatureCut.ExitCode);
        Assert.Contains(
            $"URL: damaged: x-oss-signature is '{signature[..^10]}', not 64 hex digits: the URL was cut short",
            System.Text.RegularExpressions.Regex.Replace(signatureCut.Out, @"\s+", " "), // The console wraps long lines.
            StringComparison.Ordinal);
    }
}
