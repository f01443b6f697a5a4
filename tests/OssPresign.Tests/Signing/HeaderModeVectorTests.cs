using System.Net;
using OssPresign.Http;
using static OssPresign.Tests.Signing.KnownAnswerVectors;

namespace OssPresign.Tests.Signing;

/// <summary>OSS-V4.md §6.1: the Authorization header through <see cref="OssSigningHandler"/>.</summary>
public sealed class HeaderModeVectorTests
{
    [Theory]
    [InlineData("H1", 1702743657L, null, new string[0], "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe")]
    [InlineData("H3", 1702784856L, "token", new string[0], "OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea")]
    [InlineData("H4", 1702747512L, null, new[] { "ZAbc", "abc" }, "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f")]
    public async Task SigningHandler_StandardVector_MatchesOfficialAuthorization(string id, long signingTime, string? token, string[] additional, string expected)
    {
        var capture = new CapturingHandler();
        using var client = new HttpClient(new OssSigningHandler(new OssClientOptions
        {
            Region = "cn-hangzhou",
            CredentialsProvider = new StaticCredentialsProvider("ak", "sk", token),
            AdditionalHeaders = additional,
            TimeProvider = ClockAt(signingTime),
        }, capture));
        using var request = new HttpRequestMessage(HttpMethod.Put,
            "https://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-/123/1.txt?param1=value1&%2Bparam1=value3&%7Cparam1=value4&%2Bparam2&%7Cparam2&param2");
        foreach (var (name, value) in Headers("text/plain"))
        {
            if (name != "content-type")
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Content = new ByteArrayContent([]);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");

        using var response = await client.SendAsync(request);

        Assert.True(expected == capture.Authorization, $"{id}: {capture.Authorization}");
        Assert.Equal(token, capture.SecurityToken);
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public string? Authorization { get; private set; }

        public string? SecurityToken { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Authorization = request.Headers.TryGetValues("Authorization", out var a) ? a.Single() : null;
            SecurityToken = request.Headers.TryGetValues("x-oss-security-token", out var t) ? t.Single() : null;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
