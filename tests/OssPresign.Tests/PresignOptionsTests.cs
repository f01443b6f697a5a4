using Microsoft.Extensions.Time.Testing;
using static OssPresign.Tests.Signing.KnownAnswerVectors;

namespace OssPresign.Tests;

/// <summary>Validity rules of presigned URLs (OSS-V4.md §1.13).</summary>
public sealed class PresignOptionsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1702781677);

    private static OssClient Client(TimeProvider? time = null) => new(new OssClientOptions
    {
        Region = "cn-hangzhou",
        CredentialsProvider = new StaticCredentialsProvider("ak", "sk"),
        TimeProvider = time ?? new FakeTimeProvider(Now),
    });

    private static PutObjectRequest Put() => new() { Bucket = "examplebucket", Key = "k" };

    private static async Task<string> ExpiresOf(PresignOptions? options) => QueryOf((await Client().PresignAsync(Put(), options)).Url)["x-oss-expires"];

    [Fact]
    public async Task Presign_NoOptions_Is15Minutes() => Assert.Equal("900", await ExpiresOf(null));

    [Fact]
    public async Task Presign_Expires_IsRelativeToSigningTime() => Assert.Equal("600", await ExpiresOf(new PresignOptions { Expires = TimeSpan.FromMinutes(10) }));

    [Fact]
    public async Task Presign_ExpirationAndExpires_ExpirationWins() =>
        Assert.Equal("3600", await ExpiresOf(new PresignOptions { Expires = TimeSpan.FromMinutes(10), Expiration = Now.AddHours(1) }));

    [Fact]
    public async Task Presign_ExactlySevenDays_IsAllowed() => Assert.Equal("604800", await ExpiresOf(new PresignOptions { Expires = TimeSpan.FromDays(7) }));

    [Fact]
    public async Task Presign_ExpiresOverSevenDays_ThrowsNamingTheLimit()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expires = TimeSpan.FromDays(8) }));
        Assert.Contains("604800", error.Message, StringComparison.Ordinal);
        Assert.Contains("seven days", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_ExpiresTimeSpanMaxValue_ThrowsNamingTheLimit_NotAnUnrepresentableDate()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expires = TimeSpan.MaxValue }));

        Assert.Equal("options", error.ParamName);
        Assert.StartsWith("A presigned URL is valid for at most 604800 seconds (seven days); the requested validity is 922337203685 seconds.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_ExpiresSevenDaysAndASecond_ThrowsTheSameMessage()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expires = TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1) }));

        Assert.StartsWith("A presigned URL is valid for at most 604800 seconds (seven days); the requested validity is 604801 seconds.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_ExpiresSevenDaysAndLessThanASecond_IsSevenDays() =>
        Assert.Equal("604800", await ExpiresOf(new PresignOptions { Expires = TimeSpan.FromDays(7) + TimeSpan.FromMilliseconds(999) }));

    [Fact]
    public async Task Presign_ExpirationDateTimeOffsetMaxValue_ThrowsNamingTheLimit() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expiration = DateTimeOffset.MaxValue }));

    [Fact]
    public async Task Presign_ExpirationLessThanASecondAhead_SaysSo_NotThatItIsBeforeTheSigningTime()
    {
        // The clock is 0.2 s into its second, the expiration 0.9 s: after the (truncated) signing time, but not a whole second after it.
        var clock = new FakeTimeProvider(Now.AddMilliseconds(200));
        var expiration = Now.AddMilliseconds(900);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => Client(clock).PresignAsync(Put(), new PresignOptions { Expiration = expiration }).AsTask());

        Assert.StartsWith(
            $"Expiration {expiration:O} would make the URL valid for less than one second, and OSS counts validity in whole seconds: choose a later Expiration.",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_ExpirationOneSecondAndABitAhead_IsOneSecond()
    {
        var clock = new FakeTimeProvider(Now.AddMilliseconds(200));

        var result = await Client(clock).PresignAsync(Put(), new PresignOptions { Expiration = Now.AddMilliseconds(1900) });

        Assert.Equal("1", QueryOf(result.Url)["x-oss-expires"]);
        Assert.Equal(Now.AddSeconds(1), result.Expiration);
    }

    [Fact]
    public async Task Presign_ExpirationOverSevenDays_Throws() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expiration = Now.AddDays(7).AddSeconds(1) }));

    [Fact]
    public async Task Presign_ExpirationInThePast_Throws() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expiration = Now.AddSeconds(-1) }));

    [Fact]
    public async Task Presign_ExpirationEqualToSigningTime_Throws() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expiration = Now }));

    [Fact]
    public async Task Presign_ZeroExpires_Throws() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ExpiresOf(new PresignOptions { Expires = TimeSpan.Zero }));

    [Fact]
    public async Task Presign_SubSecondClock_TruncatesBothInstantsToWholeSeconds()
    {
        var clock = new FakeTimeProvider(Now.AddMilliseconds(700));
        var result = await Client(clock).PresignAsync(Put(), new PresignOptions { Expires = TimeSpan.FromHours(1) });

        var query = QueryOf(result.Url);
        Assert.Equal("3600", query["x-oss-expires"]);
        Assert.Equal("20231217T025437Z", query["x-oss-date"]);
        Assert.Equal(Now.AddHours(1), result.Expiration);
    }

    [Theory]
    [InlineData("Bucket", "k")]
    [InlineData("ab", "k")]
    [InlineData("-bucket", "k")]
    [InlineData("bucket_1", "k")]
    [InlineData("examplebucket", "")]
    public async Task Presign_InvalidBucketOrKey_ThrowsArgumentException(string bucket, string key) =>
        await Assert.ThrowsAsync<ArgumentException>(() => Client().PresignAsync(new PutObjectRequest { Bucket = bucket, Key = key }).AsTask());

    [Fact]
    public async Task Presign_KeyOver1023Bytes_Throws()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => Client().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = new string('中', 342) }).AsTask());
        Assert.Contains("1023", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_Key1023Bytes_IsAllowed() =>
        await Client().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = new string('中', 341) });

    [Theory]
    [InlineData("/a", '/')]
    [InlineData("\\a", '\\')]
    [InlineData("//", '/')]
    public async Task Presign_KeyStartingWithSlashOrBackslash_ThrowsSayingWhatToDrop(string key, char leading)
    {
        // OSS refuses such a name (400 InvalidObjectName), so a URL for it could never be used.
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => Client().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = key }).AsTask());

        Assert.Equal("key", error.ParamName);
        Assert.StartsWith($"The object key starts with '{leading}', which OSS does not allow: drop the leading '{leading}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    public async Task Presign_SlashOrBackslashAfterTheFirstCharacter_IsAllowed(string key) =>
        await Client().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = key });

    [Fact]
    public async Task Presign_PutWithMetadataAndContentType_SignedHeadersAreWhatTheUploaderMustSend()
    {
        var request = new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "k",
            ContentType = "text/plain",
            ContentMd5 = "XrY7u+Ae7tCTyyK7j1rNww==",
            ContentLength = 11,
            CacheControl = "no-cache",
            ForbidOverwrite = true,
            Metadata = { ["author"] = "alice" },
            Headers = { ["abc"] = "1" },
        };

        var result = await Client().PresignAsync(request);

        Assert.Equal("PUT", result.Method);
        Assert.Equal(4, result.SignedHeaders.Count);
        Assert.Equal("text/plain", result.SignedHeaders["content-type"]);
        Assert.Equal("XrY7u+Ae7tCTyyK7j1rNww==", result.SignedHeaders["Content-MD5"]);
        Assert.Equal("alice", result.SignedHeaders["x-oss-meta-author"]);
        Assert.Equal("true", result.SignedHeaders["x-oss-forbid-overwrite"]);
    }

    [Theory]
    [InlineData("file_type")]
    [InlineData("x-oss-meta-file_type")]
    [InlineData("a.b")]
    [InlineData("")]
    [InlineData("x-oss-meta-")]
    public async Task Presign_MetadataNameOssRefuses_IsArgumentException(string name)
    {
        var request = new PutObjectRequest { Bucket = "examplebucket", Key = "k", Metadata = { [name] = "v" } };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Client().PresignAsync(request).AsTask());

        Assert.Equal("Metadata", error.ParamName);
        Assert.Contains($"Metadata name '{name}' is not valid", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8191, true)]
    [InlineData(8192, false)]
    public async Task Presign_MetadataOf8KiBOrMore_IsArgumentException(int total, bool accepted)
    {
        // "x-oss-meta-Author" (17) + "e" (1) + "x-oss-meta-b" (12) + the rest: the names count with their prefix.
        var request = new InitiateMultipartUploadRequest
        {
            Bucket = "examplebucket",
            Key = "k",
            Metadata = { ["Author"] = "e", ["x-oss-meta-b"] = new string('v', total - 17 - 1 - 12) },
        };

        if (accepted)
        {
            var result = await Client().PresignAsync(request);
            Assert.Equal("e", result.SignedHeaders["x-oss-meta-author"]);
        }
        else
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => Client().PresignAsync(request).AsTask());
            Assert.Contains($"The metadata is {total} bytes", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("author", true)]
    [InlineData("X-Oss-Meta-Last-Modified2", true)]
    [InlineData("file_type", false)]
    [InlineData("my key", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValidMetadataName_LettersDigitsAndHyphens(string? name, bool valid) =>
        Assert.Equal(valid, OssNames.IsValidMetadataName(name));

    [Theory]
    [InlineData("attachment; filename=\"a b.txt\"", true)]
    [InlineData("tab\tand ~", true)]
    [InlineData("", true)]
    [InlineData("a\r\nb", false)]
    [InlineData("\u007F", false)]
    [InlineData("Résumé", false)]
    [InlineData(null, false)]
    public void IsValidHeaderValue_VisibleAsciiSpaceAndTab(string? value, bool valid) =>
        Assert.Equal(valid, OssNames.IsValidHeaderValue(value));

    [Fact]
    public async Task Presign_AdditionalHeaderPresent_IsSignedAndRequired()
    {
        var client = new OssClient(new OssClientOptions
        {
            Region = "cn-hangzhou",
            CredentialsProvider = new StaticCredentialsProvider("ak", "sk"),
            TimeProvider = new FakeTimeProvider(Now),
            AdditionalHeaders = ["Content-Length", "email"],
        });

        var result = await client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", ContentLength = 1000 });

        Assert.Equal("1000", result.SignedHeaders["Content-Length"]);
        Assert.Single(result.SignedHeaders);
        Assert.Equal("content-length", QueryOf(result.Url)["x-oss-additional-headers"]);
    }

    [Fact]
    public async Task Presign_EveryOperation_HasItsMethodAndParameters()
    {
        var client = Client();
        var cases = new (OssObjectRequest Request, string Method, string Query)[]
        {
            (new GetObjectRequest { Bucket = "examplebucket", Key = "k", VersionId = "v1", ResponseContentType = "text/html", Process = "image/resize,w_100" }, "GET", "versionId=v1&response-content-type=text%2Fhtml&x-oss-process=image%2Fresize%2Cw_100&"),
            (new HeadObjectRequest { Bucket = "examplebucket", Key = "k" }, "HEAD", "x-oss-credential"),
            (new PutObjectRequest { Bucket = "examplebucket", Key = "k" }, "PUT", "x-oss-credential"),
            (new InitiateMultipartUploadRequest { Bucket = "examplebucket", Key = "k" }, "POST", "uploads&"),
            (new UploadPartRequest { Bucket = "examplebucket", Key = "k", PartNumber = 3, UploadId = "u1" }, "PUT", "partNumber=3&uploadId=u1&"),
            (new CompleteMultipartUploadRequest { Bucket = "examplebucket", Key = "k", UploadId = "u1" }, "POST", "uploadId=u1&"),
            (new AbortMultipartUploadRequest { Bucket = "examplebucket", Key = "k", UploadId = "u1" }, "DELETE", "uploadId=u1&"),
        };

        foreach (var (request, method, query) in cases)
        {
            var result = await client.PresignAsync(request);
            Assert.Equal(method, result.Method);
            Assert.StartsWith("https://examplebucket.oss-cn-hangzhou.aliyuncs.com/k?" + query, result.Url, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Presign_UploadPartNumberOutOfRange_Throws() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => Client().PresignAsync(new UploadPartRequest { Bucket = "examplebucket", Key = "k", PartNumber = 0, UploadId = "u" }).AsTask());

    [Fact]
    public async Task Presign_AnonymousProvider_GivesUnsignedUrl()
    {
        var client = new OssClient(new OssClientOptions { Region = "cn-hangzhou", CredentialsProvider = new AnonymousCredentialsProvider(), TimeProvider = new FakeTimeProvider(Now) });

        var result = await client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "a b" });

        Assert.Equal("https://examplebucket.oss-cn-hangzhou.aliyuncs.com/a%20b", result.Url);
    }

    [Fact]
    public async Task Presign_StsToken_GoesIntoTheUrlEncoded()
    {
        var client = new OssClient(new OssClientOptions
        {
            Region = "cn-hangzhou",
            CredentialsProvider = new StaticCredentialsProvider("ak", "sk", "tok+/="),
            TimeProvider = new FakeTimeProvider(Now),
        });

        var result = await client.PresignAsync(Put());

        Assert.Contains("x-oss-security-token=tok%2B%2F%3D", result.Url, StringComparison.Ordinal);
    }
}
