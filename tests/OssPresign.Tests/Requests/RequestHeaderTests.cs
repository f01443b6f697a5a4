using Microsoft.Extensions.Time.Testing;

namespace OssPresign.Tests.Requests;

/// <summary>
/// Headers a presign refuses before signing: ones that cannot be sent, and ones given twice. A URL signed for either
/// could never be used, so the caller hears of it from <see cref="OssClient.PresignAsync"/>, not from OSS.
/// </summary>
public sealed class RequestHeaderTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1702781677);

    private static OssClient Client() => new(new OssClientOptions
    {
        Region = "cn-hangzhou",
        CredentialsProvider = new StaticCredentialsProvider("ak", "sk"),
        TimeProvider = new FakeTimeProvider(Now),
    });

    private static async Task<ArgumentException> RefusedAsync(OssObjectRequest request) =>
        await Assert.ThrowsAsync<ArgumentException>(() => Client().PresignAsync(request).AsTask());

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    [InlineData("\r")]
    [InlineData("\0")]
    [InlineData("\u001b")]
    [InlineData("\u007f")]
    public async Task Presign_ControlCharacterInAHeaderValue_IsRefusedNamingTheHeaderAndWhereItWasGiven(string control)
    {
        var injected = "text/plain" + control + "x-oss-meta-injected: 1";
        var cases = new (OssObjectRequest Request, string Header, string Where, string Property)[]
        {
            (new PutObjectRequest { Bucket = "examplebucket", Key = "k", ContentType = injected }, "Content-Type", "ContentType", "ContentType"),
            (new PutObjectRequest { Bucket = "examplebucket", Key = "k", CacheControl = injected }, "Cache-Control", "CacheControl", "CacheControl"),
            (new PutObjectRequest { Bucket = "examplebucket", Key = "k", Metadata = { ["note"] = injected } }, "x-oss-meta-note", "Metadata[\"note\"]", "Metadata"),
            (new InitiateMultipartUploadRequest { Bucket = "examplebucket", Key = "k", Headers = { ["x-oss-meta-note"] = injected } }, "x-oss-meta-note", "Headers[\"x-oss-meta-note\"]", "Headers"),
            (new GetObjectRequest { Bucket = "examplebucket", Key = "k", Headers = { ["x-custom"] = injected } }, "x-custom", "Headers[\"x-custom\"]", "Headers"),
        };

        foreach (var (request, header, where, property) in cases)
        {
            var error = await RefusedAsync(request);

            Assert.Equal(property, error.ParamName);
            Assert.StartsWith(
                $"The value of header '{header}' ({where}) has a control character (U+{(int)control[0]:X4}) at index 10: CR, LF and the other control characters cannot be sent",
                error.Message,
                StringComparison.Ordinal);
            Assert.DoesNotContain("injected", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Presign_TabInAHeaderValue_IsAllowed()
    {
        // HTTP allows a tab inside a value (RFC 9110 §5.5); only the other control characters cannot be sent.
        var result = await Client().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", Metadata = { ["note"] = "a\tb" } });

        Assert.Equal("a\tb", result.SignedHeaders["x-oss-meta-note"]);
    }

    [Fact]
    public async Task Presign_NonAsciiMetadataValue_IsRefusedSuggestingToEncodeIt()
    {
        var error = await RefusedAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", Metadata = { ["title"] = "Résumé" } });

        Assert.Equal("Metadata", error.ParamName);
        Assert.StartsWith(
            "The value of header 'x-oss-meta-title' (Metadata[\"title\"]) has a non-ASCII character (U+00E9) at index 1, and header values must be ASCII: " +
            "encode the value (e.g. URL-encode or Base64-encode it)",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_NonAsciiValueOutsideTheBmp_NamesTheWholeCodePoint()
    {
        var error = await RefusedAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", ContentType = "text/😀" });

        Assert.Contains("'Content-Type' (ContentType) has a non-ASCII character (U+1F600) at index 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_MetadataValueEncodedAsSuggested_IsSigned()
    {
        var encoded = Uri.EscapeDataString("Résumé");

        var result = await Client().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", Metadata = { ["title"] = encoded } });

        Assert.Equal("R%C3%A9sum%C3%A9", result.SignedHeaders["x-oss-meta-title"]);
    }

    [Theory]
    [InlineData("x-oss-meta-bad name")]
    [InlineData("x-oss-meta-a:b")]
    [InlineData("x-oss-meta-a\r\nx-oss-meta-b")]
    [InlineData("x-custom(1)")]
    [InlineData("")]
    public async Task Presign_HeaderNameThatIsNotAnHttpToken_IsRefused(string name)
    {
        var error = await RefusedAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", Headers = { [name] = "v" } });

        Assert.Equal("Headers", error.ParamName);
        Assert.StartsWith($"Header name '{name}' (Headers[\"{name}\"]) is not valid: a header name is an HTTP token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_ContentTypeAlsoInHeaders_IsRefusedSayingWhereBothAre()
    {
        var error = await RefusedAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "k",
            ContentType = "text/plain",
            Headers = { ["content-type"] = "application/json" },
        });

        Assert.Equal("Headers", error.ParamName);
        Assert.StartsWith(
            "Header 'Content-Type' is given twice, by ContentType and by Headers[\"content-type\"] (header names ignore case): give it in one place.",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_MetadataAlsoInHeaders_IsRefused()
    {
        var error = await RefusedAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "k",
            Metadata = { ["a"] = "v1" },
            Headers = { ["X-OSS-META-A"] = "v2" },
        });

        Assert.StartsWith("Header 'x-oss-meta-a' is given twice, by Metadata[\"a\"] and by Headers[\"X-OSS-META-A\"]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_MetadataWithACaseSensitiveComparer_HoldingOneNameInTwoCases_IsRefused()
    {
        var error = await RefusedAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = "k",
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["a"] = "v1", ["A"] = "v2" },
        });

        Assert.Equal("Metadata", error.ParamName);
        Assert.StartsWith("Header 'x-oss-meta-a' is given twice, by Metadata[\"a\"] and by Metadata[\"A\"]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_MetadataNameWithAndWithoutItsPrefix_IsRefused()
    {
        var error = await RefusedAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", Metadata = { ["x-oss-meta-a"] = "v1", ["a"] = "v2" } });

        Assert.StartsWith("Header 'x-oss-meta-a' is given twice, by Metadata[\"x-oss-meta-a\"] and by Metadata[\"a\"]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_UnsignedHeaderGivenTwice_IsRefusedToo()
    {
        // Not signed, but the request could still carry only one of the two values: which one was meant is not known.
        var error = await RefusedAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "k", Range = "bytes=0-1", Headers = { ["range"] = "bytes=2-3" } });

        Assert.StartsWith("Header 'Range' is given twice, by Range and by Headers[\"range\"]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_AnonymousRequest_IsCheckedToo()
    {
        var client = new OssClient(new OssClientOptions { Region = "cn-hangzhou", CredentialsProvider = new AnonymousCredentialsProvider() });

        await Assert.ThrowsAsync<ArgumentException>(
            () => client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "k", IfMatch = "\"a\"\r\nx: y" }).AsTask());
    }

    [Fact]
    public async Task Presign_NullHeaders_IsArgumentNullNamingIt()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(
            () => Client().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k", Headers = null! }).AsTask());

        Assert.Equal("Headers", error.ParamName);
    }

    [Fact]
    public async Task Presign_NullParameters_IsArgumentNullNamingIt()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(
            () => Client().PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "k", Parameters = null! }).AsTask());

        Assert.Equal("Parameters", error.ParamName);
    }

    [Fact]
    public async Task Presign_NullMetadata_IsArgumentNullNamingIt()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(
            () => Client().PresignAsync(new InitiateMultipartUploadRequest { Bucket = "examplebucket", Key = "k", Metadata = null! }).AsTask());

        Assert.Equal("Metadata", error.ParamName);
    }
}
