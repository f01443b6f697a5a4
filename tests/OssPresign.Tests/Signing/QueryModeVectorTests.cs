using OssPresign.Signing;
using static OssPresign.Tests.Signing.KnownAnswerVectors;

namespace OssPresign.Tests.Signing;

/// <summary>OSS-V4.md §6.2 (query mode) and §6.3 (end to end through the presign API).</summary>
public sealed class QueryModeVectorTests
{
    private static OssClient Client(long signingTime, string? token = null, params string[] additionalHeaders) => new(new OssClientOptions
    {
        Region = "cn-hangzhou",
        CredentialsProvider = new StaticCredentialsProvider("ak", "sk", token),
        AdditionalHeaders = additionalHeaders,
        TimeProvider = ClockAt(signingTime),
    });

    private static PutObjectRequest StdRequest() => new()
    {
        Bucket = Bucket,
        Key = Key,
        Headers = Headers("application/octet-stream"),
        Parameters = Parameters(),
    };

    [Theory]
    [InlineData("Q1", 1702781677L, 1702782276L, null, new string[0], "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe")]
    [InlineData("Q2", 1702785388L, 1702785987L, "token", new string[0], "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5")]
    [InlineData("Q3", 1702783809L, 1702784408L, null, new[] { "ZAbc", "abc" }, "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7")]
    public async Task Presign_StandardVector_MatchesOfficialSignature(string id, long signingTime, long expiration, string? token, string[] additional, string signature)
    {
        var client = Client(signingTime, token, additional);

        var result = await client.PresignAsync(StdRequest(), new PresignOptions { Expiration = DateTimeOffset.FromUnixTimeSeconds(expiration) });

        var query = QueryOf(result.Url);
        Assert.True(signature == query["x-oss-signature"], id);
        Assert.Equal("599", query["x-oss-expires"]);
        Assert.Equal(token, query.GetValueOrDefault("x-oss-security-token"));
        Assert.Equal(additional.Length > 0 ? "abc;zabc" : null, query.GetValueOrDefault("x-oss-additional-headers"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(expiration), result.Expiration);
    }

    [Fact]
    public async Task Presign_Q1_CanonicalRequestAndStringToSignMatchTheSpec()
    {
        var result = await Client(1702781677).PresignAsync(StdRequest(), new PresignOptions { Expiration = DateTimeOffset.FromUnixTimeSeconds(1702782276) });
        var query = QueryOf(result.Url);
        var canonical = new CanonicalRequest(
            "PUT", Bucket, Key, query.Where(p => p.Key != PresignedQuery.SignatureParameter), Headers("application/octet-stream"), []);

        Assert.Equal(
            "PUT\n/bucket/1234%2B-/123/1.txt\n" +
            "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature-version=OSS4-HMAC-SHA256\n" +
            "content-type:application/octet-stream\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD",
            canonical.ToString());
        var credential = new CredentialScope("ak", "20231217", "cn-hangzhou", "oss");
        Assert.Equal(
            "OSS4-HMAC-SHA256\n20231217T025437Z\n20231217/cn-hangzhou/oss/aliyun_v4_request\n48814c11f278d51662015bf2f896b66ca10b6de0187ed8d952e341bbce0aa336",
            OssV4Signer.BuildStringToSign(canonical, DateTimeOffset.FromUnixTimeSeconds(1702781677), credential));
    }

    [Fact]
    public async Task Presign_Q3_ConfiguredListWithDefaultSignedAndAbsentNames_GivesSameResult()
    {
        var expiration = new PresignOptions { Expiration = DateTimeOffset.FromUnixTimeSeconds(1702784408) };
        var withNoise = await Client(1702783809, null, "x-oss-no-exist", "ZAbc", "x-oss-head1", "abc").PresignAsync(StdRequest(), expiration);

        Assert.Equal("6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7", QueryOf(withNoise.Url)["x-oss-signature"]);
        Assert.Equal(["abc", "content-type", "x-oss-head1", "ZAbc"], withNoise.SignedHeaders.Keys.Order(StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Presign_ExampleA_GetObjectDefaultExpiry_MatchesSpecUrl()
    {
        var result = await Client(1702781677).PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "exampleobject.txt" });

        Assert.Equal("GET", result.Method);
        Assert.Equal(
            "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/exampleobject.txt?x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=900&x-oss-signature=12f6c5a05ce94f4b3266a115aa6058ed87c45c5a2332d2210338d30d55b17bab&x-oss-signature-version=OSS4-HMAC-SHA256",
            result.Url);
        Assert.Empty(result.SignedHeaders);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1702781677 + 900), result.Expiration);
    }

    [Fact]
    public async Task Presign_ExampleD_InitiateMultipartUpload_SignsUploadsWithoutEquals()
    {
        var result = await Client(1702781677).PresignAsync(new InitiateMultipartUploadRequest { Bucket = "examplebucket", Key = "big.bin" });

        var query = QueryOf(result.Url);
        Assert.Equal("POST", result.Method);
        Assert.Equal("49abf0cdfea895c0ed1f0c8fd2d29e1dd5cccd97d0c70b9fc82a9ced6a423f08", query["x-oss-signature"]);
        Assert.Contains("?uploads&", result.Url, StringComparison.Ordinal);
        var canonical = new CanonicalRequest("POST", "examplebucket", "big.bin", query.Where(p => p.Key != "x-oss-signature"), [], []);
        Assert.Contains(
            "\nuploads&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=900&x-oss-signature-version=OSS4-HMAC-SHA256\n",
            canonical.ToString(), StringComparison.Ordinal);
    }
}
