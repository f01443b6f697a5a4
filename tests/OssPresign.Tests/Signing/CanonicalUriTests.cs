using OssPresign.Signing;
using static OssPresign.Tests.Signing.KnownAnswerVectors;

namespace OssPresign.Tests.Signing;

/// <summary>OSS-V4.md §1.5: the canonical URI and the URL path of awkward keys.</summary>
public sealed class CanonicalUriTests
{
    [Theory]
    [InlineData(null, null, "/")]
    [InlineData("examplebucket", null, "/examplebucket/")]
    [InlineData("examplebucket", "exampleobject.txt", "/examplebucket/exampleobject.txt")]
    [InlineData("bucket", "1234+-/123/1.txt", "/bucket/1234%2B-/123/1.txt")]
    [InlineData("examplebucket", "folder/中文 file+~*.txt", "/examplebucket/folder/%E4%B8%AD%E6%96%87%20file%2B~%2A.txt")]
    [InlineData("b", "~*!'()", "/b/~%2A%21%27%28%29")]
    [InlineData("b", "a//b", "/b/a//b")]
    [InlineData("b", "a/./b/../c", "/b/a/./b/../c")]
    [InlineData("b", "/x", "/b//x")]
    [InlineData("b", "%?#=&;:@,|", "/b/%25%3F%23%3D%26%3B%3A%40%2C%7C")]
    [InlineData("b", "emoji 😀", "/b/emoji%20%F0%9F%98%80")]
    public void CanonicalUri_MatchesSpecTable(string? bucket, string? key, string expected)
    {
        var request = new CanonicalRequest("GET", bucket, key, [], [], []);

        Assert.Equal(expected, request.CanonicalUri);
    }

    [Theory]
    [InlineData("a b.txt", "a%20b.txt")]
    [InlineData("1234+-/123/1.txt", "1234%2B-/123/1.txt")]
    [InlineData("中文/文件.txt", "%E4%B8%AD%E6%96%87/%E6%96%87%E4%BB%B6.txt")]
    [InlineData("~*!'()", "~%2A%21%27%28%29")]
    [InlineData("a//b", "a//b")]
    [InlineData("a/./b/../c", "a/./b/../c")]
    public async Task Presign_AwkwardKey_UrlPathIsTheEncodedKeyAndSignatureCoversIt(string key, string encodedPath)
    {
        var client = new OssClient(new OssClientOptions
        {
            Region = "cn-hangzhou",
            CredentialsProvider = new StaticCredentialsProvider("ak", "sk"),
            TimeProvider = ClockAt(1702781677),
        });

        var result = await client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = key });

        Assert.StartsWith($"https://examplebucket.oss-cn-hangzhou.aliyuncs.com/{encodedPath}?", result.Url, StringComparison.Ordinal);
        var query = QueryOf(result.Url);
        var canonical = new CanonicalRequest("PUT", "examplebucket", key, query.Where(p => p.Key != "x-oss-signature"), [], []);
        Assert.Equal("/examplebucket/" + encodedPath, canonical.CanonicalUri);
        var expected = OssV4Signer.ComputeSignature(
            canonical, DateTimeOffset.FromUnixTimeSeconds(1702781677), new CredentialScope("ak", "20231217", "cn-hangzhou", "oss"), "sk");
        Assert.Equal(expected, query["x-oss-signature"]);
    }

    [Theory]
    [InlineData("a%20b", "a b")]
    [InlineData("a+b", "a+b")]
    [InlineData("%E4%B8%AD", "中")]
    [InlineData("plain", "plain")]
    [InlineData("%2F%2f", "//")]
    public void TryDecode_WellFormed_Decodes(string encoded, string expected)
    {
        Assert.True(OssUriEncoding.TryDecode(encoded, out var decoded));
        Assert.Equal(expected, decoded);
    }

    [Theory]
    [InlineData("%")]
    [InlineData("%4")]
    [InlineData("%zz")]
    [InlineData("%FF")]
    public void TryDecode_Malformed_ReturnsFalse(string encoded) => Assert.False(OssUriEncoding.TryDecode(encoded, out _));

    [Fact]
    public void EncodeQueryComponent_UsesRfc3986UnreservedSet()
    {
        Assert.Equal("a%20b%2Bc%2F~%2A%21%27%28%29-_.", OssUriEncoding.EncodeQueryComponent("a b+c/~*!'()-_."));
    }
}
