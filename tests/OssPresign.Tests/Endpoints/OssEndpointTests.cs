using Microsoft.Extensions.Time.Testing;
using OssPresign.Endpoints;

namespace OssPresign.Tests.Endpoints;

/// <summary>The endpoint and addressing table of OSS-V4.md §4.</summary>
public sealed class OssEndpointTests
{
    private static async Task<string> UrlOf(OssClientOptions options)
    {
        var client = new OssClient(options);
        var result = await client.PresignAsync(new GetObjectRequest { Bucket = "my-bucket", Key = "my-key+123" });
        return result.Url[..result.Url.IndexOf('?', StringComparison.Ordinal)];
    }

    private static OssClientOptions Options(string region = "test-region", Uri? endpoint = null, bool path = false, bool cname = false,
        bool @internal = false, bool dualStack = false, bool accelerate = false) => new()
        {
            Region = region,
            Endpoint = endpoint,
            UsePathStyle = path,
            UseCName = cname,
            UseInternalEndpoint = @internal,
            UseDualStackEndpoint = dualStack,
            UseAccelerateEndpoint = accelerate,
            CredentialsProvider = new StaticCredentialsProvider("ak", "sk"),
            TimeProvider = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1702781677)),
        };

    [Fact]
    public async Task Region_Public() => Assert.Equal("https://my-bucket.oss-test-region.aliyuncs.com/my-key%2B123", await UrlOf(Options()));

    [Fact]
    public async Task Region_Internal() => Assert.Equal("https://my-bucket.oss-test-region-internal.aliyuncs.com/my-key%2B123", await UrlOf(Options(@internal: true)));

    [Fact]
    public async Task Region_DualStack() => Assert.Equal("https://my-bucket.test-region.oss.aliyuncs.com/my-key%2B123", await UrlOf(Options(dualStack: true)));

    [Fact]
    public async Task Region_Accelerate() => Assert.Equal("https://my-bucket.oss-accelerate.aliyuncs.com/my-key%2B123", await UrlOf(Options(accelerate: true)));

    [Fact]
    public async Task Region_DualStackWinsOverInternalAndAccelerate() =>
        Assert.Equal("https://my-bucket.test-region.oss.aliyuncs.com/my-key%2B123", await UrlOf(Options(dualStack: true, @internal: true, accelerate: true)));

    [Fact]
    public async Task Region_InternalWinsOverAccelerate() =>
        Assert.Equal("https://my-bucket.oss-test-region-internal.aliyuncs.com/my-key%2B123", await UrlOf(Options(@internal: true, accelerate: true)));

    [Fact]
    public async Task PathStyle() =>
        Assert.Equal("https://oss-cn-hangzhou.aliyuncs.com/my-bucket/my-key%2B123", await UrlOf(Options(endpoint: new Uri("https://oss-cn-hangzhou.aliyuncs.com"), path: true)));

    [Fact]
    public async Task CName_KeepsBucketOutOfTheUrl() =>
        Assert.Equal("http://www.cname.com/my-key%2B123", await UrlOf(Options(endpoint: new Uri("http://www.cname.com"), cname: true)));

    [Fact]
    public void CName_WithoutEndpoint_IsArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => new OssClient(Options(cname: true)));

        Assert.Contains("UseCName needs Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CName_WinsOverPathStyle() =>
        Assert.Equal("http://www.cname.com/my-key%2B123", await UrlOf(Options(endpoint: new Uri("http://www.cname.com"), cname: true, path: true)));

    [Fact]
    public async Task IpEndpoint_ForcesPathStyleWithPort() =>
        Assert.Equal("http://192.168.1.1:8080/my-bucket/my-key%2B123", await UrlOf(Options(endpoint: new Uri("http://192.168.1.1:8080"), cname: true)));

    [Fact]
    public async Task Ipv6Endpoint_ForcesPathStyle() =>
        Assert.Equal("http://[::1]:9000/my-bucket/my-key%2B123", await UrlOf(Options(endpoint: new Uri("http://[::1]:9000"))));

    [Fact]
    public async Task CustomEndpoint_VirtualHostedKeepsPort() =>
        Assert.Equal("http://my-bucket.localhost:9000/my-key%2B123", await UrlOf(Options(endpoint: new Uri("http://localhost:9000"))));

    [Fact]
    public async Task CName_CanonicalUriStillHasTheBucket()
    {
        var client = new OssClient(Options(endpoint: new Uri("http://www.cname.com"), cname: true));
        var viaCname = await client.PresignAsync(new GetObjectRequest { Bucket = "my-bucket", Key = "k" });
        var viaHost = await new OssClient(Options()).PresignAsync(new GetObjectRequest { Bucket = "my-bucket", Key = "k" });

        Assert.Equal(Signature(viaHost.Url), Signature(viaCname.Url));

        static string Signature(string url) => url[(url.IndexOf("x-oss-signature=", StringComparison.Ordinal) + 16)..][..64];
    }

    [Theory]
    [InlineData("oss-cn-hangzhou", "cn-hangzhou")]
    [InlineData("cn-hangzhou", "cn-hangzhou")]
    [InlineData("cb-123", "cb-123")]
    public void NormalizeRegion_StripsOneLeadingOssPrefix(string region, string expected) => Assert.Equal(expected, OssEndpoint.NormalizeRegion(region));

    [Theory]
    [InlineData("")]
    [InlineData("CN-Hangzhou")]
    [InlineData("cn_hangzhou")]
    [InlineData("cn hangzhou")]
    public void NormalizeRegion_Invalid_Throws(string region) => Assert.ThrowsAny<ArgumentException>(() => OssEndpoint.NormalizeRegion(region));

    [Fact]
    public async Task Region_WithOssPrefix_SignsTheBareRegion()
    {
        var url = (await new OssClient(Options(region: "oss-cn-hangzhou")).PresignAsync(new GetObjectRequest { Bucket = "my-bucket", Key = "k" })).Url;

        Assert.StartsWith("https://my-bucket.oss-cn-hangzhou.aliyuncs.com/k?", url, StringComparison.Ordinal);
        Assert.Contains("%2Fcn-hangzhou%2Foss%2F", url, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://example.com")]
    [InlineData("http://example.com/some/path")]
    public void Endpoint_NotABareHttpOrigin_Throws(string endpoint) =>
        Assert.Throws<ArgumentException>(() => new OssClient(Options(endpoint: new Uri(endpoint))));

    [Theory]
    [InlineData("http://127.0.0.1:9000/examplebucket/a%20b/c", "examplebucket", "a b/c")]
    [InlineData("http://127.0.0.1:9000/examplebucket/", "examplebucket", null)]
    [InlineData("http://127.0.0.1:9000/", null, null)]
    public void TryReadBucketAndKey_PathStyle(string url, string? bucket, string? key)
    {
        var endpoint = OssEndpoint.Resolve(Options(endpoint: new Uri("http://127.0.0.1:9000")));

        Assert.True(endpoint.TryReadBucketAndKey(new Uri(url), null, out var actualBucket, out var actualKey));
        Assert.Equal(bucket, actualBucket);
        Assert.Equal(key, actualKey);
    }

    [Fact]
    public void TryReadBucketAndKey_VirtualHosted()
    {
        var endpoint = OssEndpoint.Resolve(Options());

        Assert.True(endpoint.TryReadBucketAndKey(new Uri("https://my-bucket.oss-test-region.aliyuncs.com/dir/%E4%B8%AD"), null, out var bucket, out var key));
        Assert.Equal("my-bucket", bucket);
        Assert.Equal("dir/中", key);
    }
}
