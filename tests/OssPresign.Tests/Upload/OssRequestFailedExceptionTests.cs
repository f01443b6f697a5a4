using System.Net;
using System.Text;

namespace OssPresign.Tests.Upload;

public sealed class OssRequestFailedExceptionTests
{
    private const string SignatureMismatch =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>SignatureDoesNotMatch</Code>\n" +
        "  <Message>The request signature we calculated does not match the signature you provided.</Message>\n" +
        "  <RequestId>5C3D9175B6FC201293AD****</RequestId>\n  <HostId>examplebucket.oss-cn-hangzhou.aliyuncs.com</HostId>\n" +
        "  <SignatureProvided>abc123</SignatureProvided>\n" +
        "  <StringToSign>OSS4-HMAC-SHA256\n20251023T171529Z\n20251023/cn-shanghai/oss/aliyun_v4_request\nff00</StringToSign>\n" +
        "  <CanonicalRequest>PUT\n/examplebucket/k\nx-oss-date=1\n\n\nUNSIGNED-PAYLOAD</CanonicalRequest>\n" +
        "  <EC>0002-00000201</EC>\n  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0002-00000201</RecommendDoc>\n</Error>";

    [Fact]
    public void Parse_OssErrorBody_ReadsEveryField()
    {
        var error = OssRequestFailedException.Parse(403, SignatureMismatch, requestIdHeader: "from-header", ecHeader: "from-header");

        Assert.Equal(403, error.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", error.Code);
        Assert.Equal("The request signature we calculated does not match the signature you provided.", error.Message);
        Assert.Equal("5C3D9175B6FC201293AD****", error.RequestId);
        Assert.Equal("examplebucket.oss-cn-hangzhou.aliyuncs.com", error.HostId);
        Assert.Equal("0002-00000201", error.Ec);
        Assert.Equal("abc123", error.SignatureProvided);
        Assert.Equal("OSS4-HMAC-SHA256\n20251023T171529Z\n20251023/cn-shanghai/oss/aliyun_v4_request\nff00", error.StringToSign);
        Assert.Equal("PUT\n/examplebucket/k\nx-oss-date=1\n\n\nUNSIGNED-PAYLOAD", error.CanonicalRequest);
        Assert.Equal("https://api.aliyun.com/troubleshoot?q=0002-00000201", error.RecommendDoc);
    }

    [Fact]
    public void Parse_HeadResponse_DecodesTheBase64ErrHeader()
    {
        var xml = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>r1</RequestId><EC>0026-00000001</EC></Error>";

        var error = OssRequestFailedException.Parse(404, body: null, requestIdHeader: "r1", errHeader: Convert.ToBase64String(Encoding.UTF8.GetBytes(xml)));

        Assert.Equal("NoSuchKey", error.Code);
        Assert.Equal("The specified key does not exist.", error.Message);
        Assert.Equal("0026-00000001", error.Ec);
    }

    [Theory]
    [InlineData(null, "HTTP 502 with no OSS error body.")]
    [InlineData("<html>Bad gateway</html>", "HTTP 502 with a body that is not an OSS error.")]
    [InlineData("<Error><Code>x</Code>", "HTTP 502 with a body that is not an OSS error.")]
    [InlineData("<!DOCTYPE Error [<!ENTITY e \"boom\">]><Error><Code>&e;</Code></Error>", "HTTP 502 with a body that is not an OSS error.")]
    public void Parse_NotAnOssErrorBody_KeepsStatusAndHeaders(string? body, string message)
    {
        var error = OssRequestFailedException.Parse(502, body, requestIdHeader: "r2", ecHeader: "0001-00000001");

        Assert.Equal(502, error.StatusCode);
        Assert.Null(error.Code);
        Assert.Equal(message, error.Message);
        Assert.Equal("r2", error.RequestId);
        Assert.Equal("0001-00000001", error.Ec);
    }

    [Fact]
    public async Task FromResponseAsync_ReadsBodyAndHeaders()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Forbidden)
        {
            Content = new StringContent("<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>", Encoding.UTF8, "application/xml"),
        };
        response.Headers.TryAddWithoutValidation("x-oss-request-id", "r3");
        response.Headers.TryAddWithoutValidation("x-oss-ec", "0002-00000236");

        var error = await OssRequestFailedException.FromResponseAsync(response);

        Assert.Equal("AccessDenied", error.Code);
        Assert.Equal("Request has expired.", error.Message);
        Assert.Equal("r3", error.RequestId);
        Assert.Equal("0002-00000236", error.Ec);
        Assert.Contains("403 AccessDenied: Request has expired. RequestId=r3 EC=0002-00000236", error.ToString(), StringComparison.Ordinal);
    }
}
