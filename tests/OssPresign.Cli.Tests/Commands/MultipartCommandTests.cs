using System.Text.Json;

namespace OssPresign.Cli.Tests.Commands;

/// <summary><c>presign --method multipart</c> and <c>upload UPLOAD.json FILE</c> against a real server.</summary>
public sealed class MultipartCommandTests(LocalServerFixture fixture) : IClassFixture<LocalServerFixture>
{
    [Fact]
    public async Task PresignMultipart_ThenUploadTheJson_TheObjectIsTheFile()
    {
        var file = TempFile.Create((3 * 102_400) + 99);
        var plan = Path.GetTempFileName();
        try
        {
            var presign = await CliHarness.RunAsync(fixture.Environment, null,
                fixture.PresignArgs("multipart/cli.bin", "--method", "multipart", "--size", new FileInfo(file).Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--part-size", "100KiB", "--content-type", "application/x-test", "--expires", "2h"));
            Assert.True(presign.ExitCode == 0, presign.Error);
            using (var json = JsonDocument.Parse(presign.Out))
            {
                var root = json.RootElement;
                Assert.Equal(4, root.GetProperty("parts").GetArrayLength());
                Assert.Equal(102_400, root.GetProperty("partSize").GetInt64());
                Assert.Equal("POST", root.GetProperty("complete").GetProperty("method").GetString());
                Assert.Contains("&uploadId=", root.GetProperty("parts")[0].GetProperty("url").GetString(), StringComparison.Ordinal);
            }

            Assert.Contains("4 parts of 100.0 KiB (the last 99 B)", presign.Error, StringComparison.Ordinal);
            Assert.Contains("Upload with: oss-presign upload UPLOAD.json FILE", presign.Error, StringComparison.Ordinal);
            Assert.Matches("\"expiration\": \"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\"", presign.Out);
            Assert.DoesNotContain(fixture.Environment["OSS_ACCESS_KEY_SECRET"], presign.Out + presign.Error, StringComparison.Ordinal);
            await File.WriteAllTextAsync(plan, presign.Out);

            var upload = await CliHarness.RunAsync(fixture.Environment, null, ["upload", plan, file]);

            Assert.True(upload.ExitCode == 0, upload.Out + upload.Error);
            Assert.Contains("(100%)", upload.Out, StringComparison.Ordinal);
            Assert.Contains("to examplebucket/multipart/cli.bin", upload.Out, StringComparison.Ordinal);
            Assert.Matches("ETag: +\"[0-9A-F]{32}-4\"", upload.Out);
            Assert.Matches("Parts: +4", upload.Out);
            Assert.Equal(await File.ReadAllBytesAsync(file), await fixture.DownloadAsync("multipart/cli.bin"));
        }
        finally
        {
            File.Delete(file);
            File.Delete(plan);
        }
    }

    [Fact]
    public async Task UploadJson_OfAnotherFileSize_IsBadUsage_AndSendsNothing()
    {
        var file = TempFile.Create(10);
        var plan = Path.GetTempFileName();
        try
        {
            await PresignToFileAsync("multipart/other.bin", 11, plan);

            var upload = await CliHarness.RunAsync(fixture.Environment, null, ["upload", plan, file]);

            Assert.Equal(2, upload.ExitCode);
            Assert.Contains($"error: {Path.GetFileName(file)} is 10 bytes, but {Path.GetFileName(plan)} was presigned for 11 bytes: " +
                "give the file it was made for, or presign again with --method multipart --size 10. Nothing was uploaded.", upload.Error, StringComparison.Ordinal);
            Assert.Empty(upload.Out);
            Assert.Null(await fixture.DownloadAsync("multipart/other.bin"));
        }
        finally
        {
            File.Delete(file);
            File.Delete(plan);
        }
    }

    [Fact]
    public async Task UploadJson_AgainAfterItCompleted_SaysTheUploadIsGone_NotToRunItAgain()
    {
        var file = TempFile.Create(1000);
        var plan = Path.GetTempFileName();
        try
        {
            await PresignToFileAsync("multipart/twice.bin", 1000, plan);
            var first = await CliHarness.RunAsync(fixture.Environment, null, ["upload", plan, file]);
            Assert.True(first.ExitCode == 0, first.Error);

            var second = await CliHarness.RunAsync(fixture.Environment, null, ["upload", plan, file]);

            Assert.Equal(1, second.ExitCode);
            Assert.Contains("error: the upload was refused at part 1 of 1: HTTP 404 NoSuchUpload", second.Error, StringComparison.Ordinal);
            Assert.Contains("was completed or aborted already; to upload again, presign a new one", second.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("run the same command again", second.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
            File.Delete(plan);
        }
    }

    [Fact]
    public async Task PresignMultipart_WithASecretTheServerDoesNotHave_SaysToCheckTheKey()
    {
        var environment = fixture.Environment;
        environment["OSS_ACCESS_KEY_SECRET"] = "not-the-servers-secret";

        var run = await CliHarness.RunAsync(environment, null, fixture.PresignArgs("k", "--method", "multipart", "--size", "1"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: InitiateMultipartUpload was refused: HTTP 403 SignatureDoesNotMatch", run.Error, StringComparison.Ordinal);
        Assert.Contains("hint: the server does not take OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET as set", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-servers-secret", run.Out + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PresignPart_CurlLineSendsAPieceNamedAsSplitNamesIt_AndSaysHowToCut()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null,
            fixture.PresignArgs("dir/big.iso", "--method", "part", "--upload-id", "0123456789ABCDEF0123456789ABCDEF", "--part-number", "12"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("curl -T 'big.iso.part00012' '", run.Out, StringComparison.Ordinal);
        Assert.Contains("split -b 16M -a 5 --numeric-suffixes=1 'big.iso' 'big.iso.part'", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PresignCompleteAll_CurlLineSendsNoBody()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null,
            fixture.PresignArgs("big.iso", "--method", "complete", "--upload-id", "0123456789ABCDEF0123456789ABCDEF", "--header", "x-oss-complete-all: yes"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("curl -X POST -H 'x-oss-complete-all: yes' '", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("parts.xml", run.Out, StringComparison.Ordinal);
    }

    /// <summary>What a user does first: presign --method multipart, its JSON saved to <paramref name="plan"/>.</summary>
    private async Task PresignToFileAsync(string key, long size, string plan)
    {
        var presign = await CliHarness.RunAsync(fixture.Environment, null,
            fixture.PresignArgs(key, "--method", "multipart", "--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(presign.ExitCode == 0, presign.Error);
        await File.WriteAllTextAsync(plan, presign.Out);
    }

    [Theory]
    [InlineData("{\"not\":\"an upload\"}", "it lacks parts, complete or abort")]
    [InlineData("not json", "is not the JSON of 'presign --method multipart'")]
    public async Task UploadJson_ThatIsNoMultipartUpload_IsBadUsage(string content, string message)
    {
        var file = TempFile.Create(10);
        var plan = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(plan, content);

            var upload = await CliHarness.RunAsync(fixture.Environment, null, ["upload", plan, file]);

            Assert.Equal(2, upload.ExitCode);
            Assert.Contains(message, upload.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
            File.Delete(plan);
        }
    }

    [Theory]
    [InlineData(new[] { "--method", "multipart" }, "--method multipart needs --size")]
    [InlineData(new[] { "--method", "multipart", "--size", "12 apples" }, "--size '12 apples' is not a size")]
    [InlineData(new[] { "--method", "multipart", "--size", "5GB" }, "--size '5GB' is not a size: bytes, or a whole number with K/KiB, M/MiB or G/GiB (powers of 1024; KB, MB and GB are not taken)")]
    [InlineData(new[] { "--method", "multipart", "--size", "60000000000000", "--part-size", "5GiB" }, "--size 60000000000000 is more than 10000 parts of 5GiB, the most one multipart upload holds.")]
    [InlineData(new[] { "--method", "multipart", "--size", "1GiB", "--part-size", "99KiB" }, "--part-size 101376 is not from 100KiB")]
    [InlineData(new[] { "--method", "multipart", "--size", "2000GiB", "--part-size", "100KiB" }, "are more than 10000 parts; give --part-size 214748365 or more")]
    [InlineData(new[] { "--method", "multipart", "--size", "1MiB", "--upload-id", "U", "--content-type", "text/plain" }, "--content-type and --meta go to the initiation")]
    [InlineData(new[] { "--size", "1MiB" }, "--size and --part-size are for --method multipart")]
    public async Task PresignMultipart_BadUsage_IsExitCode2(string[] more, string message)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs("k", more));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task PresignMultipart_WithAnUploadId_DoesNotInitiate()
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null,
            fixture.PresignArgs("k", "--method", "multipart", "--size", "1MiB", "--part-size", "512KiB", "--upload-id", "0123456789ABCDEF0123456789ABCDEF"));

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("0123456789ABCDEF0123456789ABCDEF", json.RootElement.GetProperty("uploadId").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("parts").GetArrayLength());
    }
}
