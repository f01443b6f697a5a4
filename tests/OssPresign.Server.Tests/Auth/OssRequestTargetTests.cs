using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OssPresign.Server.Auth;

namespace OssPresign.Server.Tests.Auth;

public sealed class OssRequestTargetTests
{
    [Theory]
    [InlineData("127.0.0.1:9000", "/", null, null)]
    [InlineData("127.0.0.1:9000", "/bucket", "bucket", null)]
    [InlineData("127.0.0.1:9000", "/bucket/", "bucket", null)]
    [InlineData("127.0.0.1:9000", "/bucket/a/../b", "bucket", "a/../b")]
    [InlineData("127.0.0.1:9000", "/bucket/a%2Fb%20c", "bucket", "a/b c")]
    [InlineData("127.0.0.1:9000", "/bucket//x", "bucket", "/x")]
    [InlineData("127.0.0.1:9000", "/bucket/a+b", "bucket", "a+b")]
    [InlineData("Bucket.localhost:9000", "/key/x", "bucket", "key/x")]
    [InlineData("bucket.localhost", "/", "bucket", null)]
    [InlineData("localhost:9000", "/bucket/k", "bucket", "k")]
    [InlineData("127.0.0.1:9000", "http://127.0.0.1:9000/bucket/k?x=1", "bucket", "k")]
    public void TryRead_FindsBucketAndKeyInTheRawTarget(string host, string rawTarget, string? bucket, string? key)
    {
        Assert.True(OssRequestTarget.TryRead(Request(host, rawTarget).Request, out var target));

        Assert.Equal(bucket, target!.Bucket);
        Assert.Equal(key, target.Key);
    }

    [Fact]
    public void TryRead_DecodesTheQuery_KeyOnlyAndEmptyValuesAlike()
    {
        Assert.True(OssRequestTarget.TryRead(Request("h", "/b/k?uploads&empty=&a%20b=c%2Bd&x=1&x=2").Request, out var target));

        Assert.Equal(
            [new("uploads", ""), new("empty", ""), new("a b", "c+d"), new("x", "1"), new("x", "2")],
            target!.Query);
        Assert.Equal("1", target.GetQuery("x"));
    }

    [Theory]
    [InlineData("/b/%")]
    [InlineData("/b/%G0")]
    [InlineData("/b/%FF")]
    [InlineData("/b/k?a=%E4%B8")]
    public void TryRead_RefusesMalformedEscapes(string rawTarget) => Assert.False(OssRequestTarget.TryRead(Request("h", rawTarget).Request, out _));

    private static DefaultHttpContext Request(string host, string rawTarget)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = HostString.FromUriComponent(host);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        return context;
    }
}
