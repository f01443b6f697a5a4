using Microsoft.Extensions.Time.Testing;
using OssPresign.Endpoints;
using OssPresign.Signing;

namespace OssPresign.Tests.Signing;

public sealed class PresignedUrlTests
{
    // OSS-V4.md §6.3 example A: GetObject, AK "ak", SK "sk", signed 20231217T025437Z, default 900 s.
    private const string VectorA =
        "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/exampleobject.txt?x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request" +
        "&x-oss-date=20231217T025437Z&x-oss-expires=900&x-oss-signature=12f6c5a05ce94f4b3266a115aa6058ed87c45c5a2332d2210338d30d55b17bab" +
        "&x-oss-signature-version=OSS4-HMAC-SHA256";

    private static readonly DateTimeOffset SigningTime = DateTimeOffset.FromUnixTimeSeconds(1702781677);

    [Fact]
    public void Parse_SpecVectorA_ReadsEveryField()
    {
        var url = PresignedUrl.Parse(VectorA);

        Assert.Equal("https", url.Scheme);
        Assert.Equal("examplebucket.oss-cn-hangzhou.aliyuncs.com", url.Host);
        Assert.Equal(443, url.Port);
        Assert.Equal(AddressingStyle.VirtualHosted, url.Style);
        Assert.Equal("examplebucket", url.Bucket);
        Assert.Equal("exampleobject.txt", url.Key);
        Assert.Equal("cn-hangzhou", url.Region);
        Assert.Equal("ak", url.Query.Credential.AccessKeyId);
        Assert.Equal(SigningTime, url.Query.SigningTime);
        Assert.Equal(SigningTime.AddSeconds(900), url.ExpiresOn);
        Assert.Null(url.Query.SecurityToken);
        Assert.Empty(url.Query.AdditionalHeaders);
        Assert.Equal(5, url.Parameters.Count);
    }

    [Fact]
    public void Verify_SpecVectorA_ValidForGetWithTheSpecCanonicalRequest()
    {
        var check = PresignedUrl.Parse(VectorA).Verify("GET", [], "sk");

        Assert.True(check.IsValid);
        Assert.Equal(
            "GET\n/examplebucket/exampleobject.txt\n" +
            "x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=900&x-oss-signature-version=OSS4-HMAC-SHA256\n" +
            "\n\nUNSIGNED-PAYLOAD",
            check.CanonicalRequest);
        Assert.StartsWith("OSS4-HMAC-SHA256\n20231217T025437Z\n20231217/cn-hangzhou/oss/aliyun_v4_request\n", check.StringToSign, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PUT", "sk")]
    [InlineData("GET", "wrong-secret")]
    public void Verify_SpecVectorA_OtherMethodOrSecret_Invalid(string method, string secret) =>
        Assert.False(PresignedUrl.Parse(VectorA).Verify(method, [], secret).IsValid);

    [Theory]
    [InlineData("exampleobject.txt", "exampleobject.tx")]
    [InlineData("x-oss-expires=900", "x-oss-expires=901")]
    [InlineData("x-oss-signature=12f6", "x-oss-signature=12f7")]
    public void Verify_TamperedUrl_Invalid(string original, string tampered) =>
        Assert.False(PresignedUrl.Parse(VectorA.Replace(original, tampered, StringComparison.Ordinal)).Verify("GET", [], "sk").IsValid);

    [Fact]
    public async Task Verify_PathStyleIpUrlFromPresign_ValidOnlyWithTheSignedHeaders()
    {
        var client = new OssClient(new OssClientOptions
        {
            Region = "cn-hangzhou",
            Endpoint = new Uri("http://127.0.0.1:9000"),
            CredentialsProvider = new StaticCredentialsProvider("id", "secret", "sts+/=token"),
            TimeProvider = new FakeTimeProvider(SigningTime),
        });
        const string key = "dir/中文 file+~*./x.txt";
        var presigned = await client.PresignAsync(new PutObjectRequest
        {
            Bucket = "examplebucket",
            Key = key,
            ContentType = "text/plain",
            Metadata = { ["author"] = "alice" },
        });

        var url = PresignedUrl.Parse(presigned.Url);

        Assert.Equal(AddressingStyle.Path, url.Style);
        Assert.Equal("127.0.0.1:9000", url.Authority);
        Assert.Equal("examplebucket", url.Bucket);
        Assert.Equal(key, url.Key);
        Assert.Equal("sts+/=token", url.Query.SecurityToken);
        Assert.True(url.Verify("PUT", presigned.SignedHeaders, "secret").IsValid);
        Assert.False(url.Verify("PUT", presigned.SignedHeaders.Where(h => h.Key != "Content-Type"), "secret").IsValid);
        Assert.False(url.Verify("PUT", [.. presigned.SignedHeaders, new("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")], "secret").IsValid);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public async Task Verify_PresignWithManyParameters_MatchesAndKeepsTheirOrderInTheUrl(int count)
    {
        // The presign path sorts an index list and reuses its canonical query for the URL; the verifier sorts the
        // parsed pairs. Both ways, a few parameters (insertion sort) and many (the general sort), must agree.
        var client = new OssClient(new OssClientOptions
        {
            Region = "cn-hangzhou",
            CredentialsProvider = new StaticCredentialsProvider("ak", "sk"),
            TimeProvider = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1702781677)),
        });
        var request = new GetObjectRequest { Bucket = "examplebucket", Key = "k" };
        for (var i = count; i > 0; i--)
        {
            request.Parameters[$"p{i} +|"] = i % 3 == 0 ? string.Empty : $"v/{i}";
        }

        var presigned = await client.PresignAsync(request);

        var url = PresignedUrl.Parse(presigned.Url);
        Assert.True(url.Verify("GET", [], "sk").IsValid);
        Assert.Equal(request.Parameters.Keys, url.Parameters.Take(count).Select(p => p.Key));
    }

    [Fact]
    public async Task Verify_SignedHostHeader_AddsTheUrlAuthorityWhenNotGiven()
    {
        var client = new OssClient(new OssClientOptions
        {
            Region = "cn-hangzhou",
            CredentialsProvider = new StaticCredentialsProvider("id", "secret"),
            AdditionalHeaders = ["host"],
            TimeProvider = new FakeTimeProvider(SigningTime),
        });
        var presigned = await client.PresignAsync(new GetObjectRequest
        {
            Bucket = "examplebucket",
            Key = "k",
            Headers = { ["Host"] = "examplebucket.oss-cn-hangzhou.aliyuncs.com" },
        });

        var url = PresignedUrl.Parse(presigned.Url);

        Assert.Equal(["host"], url.Query.AdditionalHeaders);
        Assert.True(url.Verify("GET", [], "secret").IsValid);
        Assert.False(url.Verify("GET", [new("Host", "elsewhere.example.com")], "secret").IsValid);
    }

    [Theory]
    [InlineData("http://localhost:9000/b-1/k/x", AddressingStyle.Path, "b-1", "k/x")]
    [InlineData("http://b-1.localhost:9000/k/x", AddressingStyle.VirtualHosted, "b-1", "k/x")]
    [InlineData("https://oss-cn-hangzhou.aliyuncs.com/b-1/k", AddressingStyle.Path, "b-1", "k")]
    [InlineData("https://cn-hangzhou.oss.aliyuncs.com/b-1/k", AddressingStyle.Path, "b-1", "k")]
    [InlineData("https://b-1.cn-hangzhou.oss.aliyuncs.com/k", AddressingStyle.VirtualHosted, "b-1", "k")]
    [InlineData("https://b-1.oss-accelerate.aliyuncs.com/k", AddressingStyle.VirtualHosted, "b-1", "k")]
    [InlineData("http://[::1]:9000/b-1/a/./b", AddressingStyle.Path, "b-1", "a/./b")]
    [InlineData("https://cdn.example.com/k", AddressingStyle.CName, null, "k")]
    public void Parse_Host_DecidesTheAddressingStyle(string prefix, AddressingStyle style, string? bucket, string key)
    {
        var url = PresignedUrl.Parse(prefix + VectorA[VectorA.IndexOf('?', StringComparison.Ordinal)..]);

        Assert.Equal(style, url.Style);
        Assert.Equal(bucket, url.Bucket);
        Assert.Equal(key, url.Key);
    }

    [Fact]
    public void Verify_CustomDomain_NeedsTheBucket()
    {
        var query = VectorA[VectorA.IndexOf('?', StringComparison.Ordinal)..];
        var withoutBucket = PresignedUrl.Parse("https://cdn.example.com/exampleobject.txt" + query);
        Assert.Throws<InvalidOperationException>(() => withoutBucket.Verify("GET", [], "sk"));

        Assert.True(PresignedUrl.TryParse("https://cdn.example.com/exampleobject.txt" + query, AddressingStyle.CName, "examplebucket", out var withBucket, out _));
        Assert.True(withBucket!.Verify("GET", [], "sk").IsValid);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("examplebucket.oss-cn-hangzhou.aliyuncs.com/k?x=1", "no scheme")]
    [InlineData("ftp://host/k?x-oss-signature=1", "scheme is 'ftp'")]
    [InlineData("https://host/k", "no query string")]
    [InlineData("https://b.oss-cn-hangzhou.aliyuncs.com/k?OSSAccessKeyId=id&Expires=1700000000&Signature=abc", "V1 presigned URL")]
    [InlineData("https://b.s3.amazonaws.com/k?X-Amz-Credential=a&X-Amz-Signature=b", "S3")]
    [InlineData("https://host/k?versionId=1", "not an OSS V4 presigned URL")]
    [InlineData("https://host/k?x-oss-signature=%zz", "malformed percent escape")]
    public void TryParse_NotAV4PresignedUrl_SaysWhy(string text, string reason)
    {
        Assert.False(PresignedUrl.TryParse(text, out var url, out var error));
        Assert.Null(url);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x-oss-expires=900", "x-oss-expires=abc", "x-oss-expires must be an integer")]
    [InlineData("x-oss-expires=900", "x-oss-expires=604801", "between 1 and 604800")]
    [InlineData("x-oss-date=20231217T025437Z", "x-oss-date=2023-12-17", "x-oss-date must be")]
    [InlineData("ak%2F20231217%2Fcn-hangzhou", "ak%2Fcn-hangzhou", "x-oss-credential is malformed")]
    public void TryParse_MalformedV4Parameter_GivesThePresignedQueryMessage(string original, string broken, string reason)
    {
        Assert.False(PresignedUrl.TryParse(VectorA.Replace(original, broken, StringComparison.Ordinal), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void IsExpiredAt_ComparesWithSigningTimePlusExpires()
    {
        var url = PresignedUrl.Parse(VectorA);

        Assert.False(url.IsExpiredAt(SigningTime.AddSeconds(899)));
        Assert.True(url.IsExpiredAt(SigningTime.AddSeconds(900)));
    }
}
