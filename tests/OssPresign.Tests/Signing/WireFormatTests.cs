using OssPresign.Signing;

namespace OssPresign.Tests.Signing;

/// <summary>The two wire formats format what they parse, and refuse malformed input with the EC of OSS-V4.md §5.2.</summary>
public sealed class WireFormatTests
{
    private static readonly CredentialScope Credential = new("ak", "20231217", "cn-hangzhou", "oss");

    private static List<KeyValuePair<string, string>> ValidQuery() =>
    [
        new("x-oss-signature-version", "OSS4-HMAC-SHA256"),
        new("x-oss-credential", "ak/20231217/cn-hangzhou/oss/aliyun_v4_request"),
        new("x-oss-date", "20231217T025437Z"),
        new("x-oss-expires", "599"),
        new("x-oss-signature", "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe"),
    ];

    [Fact]
    public void PresignedQuery_RoundTrips()
    {
        var query = new PresignedQuery
        {
            Credential = Credential,
            SigningTime = DateTimeOffset.FromUnixTimeSeconds(1702781677),
            ExpiresSeconds = 599,
            AdditionalHeaders = ["abc", "zabc"],
            SecurityToken = "token",
            Signature = "sig",
        };

        Assert.True(PresignedQuery.TryParse(query.ToParameters(includeSignature: true), out var parsed, out var failure), failure?.Message);

        Assert.Equal(Credential, parsed!.Credential);
        Assert.Equal(query.SigningTime, parsed.SigningTime);
        Assert.Equal(599, parsed.ExpiresSeconds);
        Assert.Equal(["abc", "zabc"], parsed.AdditionalHeaders);
        Assert.Equal("token", parsed.SecurityToken);
        Assert.Equal("sig", parsed.Signature);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1702782276), parsed.ExpiresOn);
    }

    [Theory]
    [InlineData("x-oss-signature-version", "OSS2", "0002-00000066")]
    [InlineData("x-oss-credential", null, "0002-00000217")]
    [InlineData("x-oss-signature", null, "0002-00000219")]
    [InlineData("x-oss-expires", null, "0002-00000215")]
    [InlineData("x-oss-credential", "ak/20231217/cn-hangzhou/oss", "0002-00000224")]
    [InlineData("x-oss-credential", "ak/2023-12-17/cn-hangzhou/oss/aliyun_v4_request", "0002-00000223")]
    [InlineData("x-oss-date", "2023-12-17T02:54:37Z", "0002-00000502")]
    [InlineData("x-oss-expires", "ten", "0002-00000070")]
    [InlineData("x-oss-expires", "-5", "0002-00000232")]
    [InlineData("x-oss-expires", "+5", "0002-00000070")]
    [InlineData("x-oss-expires", "-", "0002-00000070")]
    [InlineData("x-oss-expires", "0", "0002-00000232")]
    [InlineData("x-oss-expires", "691200", "0002-00000232")]
    [InlineData("x-oss-additional-headers", "", "0002-00000209")]
    [InlineData("x-oss-additional-headers", "host;", "0002-00000210")]
    public void PresignedQuery_Malformed_FailsWithEc(string name, string? value, string ec)
    {
        var parameters = ValidQuery().Where(p => p.Key != name).ToList();
        if (value is not null)
        {
            parameters.Add(new(name, value));
        }

        Assert.False(PresignedQuery.TryParse(parameters, out _, out var failure));
        Assert.Equal(ec, failure!.Ec);
        Assert.Equal(403, failure.StatusCode);
    }

    [Fact]
    public void AuthorizationHeader_FormatsLikeTheSdks()
    {
        var header = new AuthorizationHeader(Credential, ["abc", "zabc"], "4a41");

        Assert.Equal("OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a41", header.ToString());
    }

    [Theory]
    [InlineData("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d")]
    [InlineData("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, Signature=e21d")]
    public void AuthorizationHeader_ParsesWithOrWithoutSpaces(string value)
    {
        Assert.True(AuthorizationHeader.TryParse(value, out var header, out _));
        Assert.Equal("ak", header!.Credential.AccessKeyId);
        Assert.Equal("e21d", header.Signature);
        Assert.Empty(header.AdditionalHeaders);
    }

    [Theory]
    [InlineData("OSS ak:sig", "0002-00000213")]
    [InlineData("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss,Signature=x", "0002-00000213")]
    [InlineData("OSS4-HMAC-SHA256 Credential=ak/2023121/cn-hangzhou/oss/aliyun_v4_request,Signature=x", "0002-00000212")]
    [InlineData("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=,Signature=x", "0002-00000209")]
    [InlineData("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host;,Signature=x", "0002-00000210")]
    [InlineData("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request", "0002-00000213")]
    public void AuthorizationHeader_Malformed_FailsWithEc(string value, string ec)
    {
        Assert.False(AuthorizationHeader.TryParse(value, out _, out var failure));
        Assert.Equal(ec, failure!.Ec);
    }

    [Fact]
    public void SigningKey_MatchesHmacChainAndIsStableUnderTheCache()
    {
        var key = OssV4Signer.DeriveSigningKey("sk", "20231217", "cn-hangzhou", "oss");
        var request = new CanonicalRequest("GET", "b", "k", [], [], []);
        var time = DateTimeOffset.FromUnixTimeSeconds(1702781677);

        var first = OssV4Signer.ComputeSignature(request, time, Credential, "sk");
        var second = OssV4Signer.ComputeSignature(request, time, Credential, "sk");
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            key, System.Text.Encoding.UTF8.GetBytes(OssV4Signer.BuildStringToSign(request, time, Credential))));

        Assert.Equal(32, key.Length);
        Assert.Equal(expected, first);
        Assert.Equal(first, second);
        Assert.NotEqual(first, OssV4Signer.ComputeSignature(request, time, Credential, "other"));
    }

    [Fact]
    public void IsSignatureValid_AcceptsExactlyTheComputedSignature()
    {
        var request = new CanonicalRequest("PUT", "b", "k", [], [new("Content-Type", "text/plain")], []);
        var time = DateTimeOffset.FromUnixTimeSeconds(1702781677);
        var signature = OssV4Signer.ComputeSignature(request, time, Credential, "sk");

        Assert.True(OssV4Signer.IsSignatureValid(request, time, Credential, "sk", signature));
        Assert.False(OssV4Signer.IsSignatureValid(request, time, Credential, "other", signature));
        Assert.False(OssV4Signer.IsSignatureValid(request, time.AddSeconds(1), Credential, "sk", signature));
        Assert.False(OssV4Signer.IsSignatureValid(request, time, Credential, "sk", signature.ToUpperInvariant()));
        Assert.False(OssV4Signer.IsSignatureValid(request, time, Credential, "sk", signature[..63]));
        Assert.False(OssV4Signer.IsSignatureValid(request, time, Credential, "sk", signature + "0"));
        Assert.False(OssV4Signer.IsSignatureValid(request, time, Credential, "sk", ""));
    }

    [Theory]
    [InlineData("Content-Type", true)]
    [InlineData("CONTENT-MD5", true)]
    [InlineData("X-Oss-Meta-A", true)]
    [InlineData("Host", true)]
    [InlineData("x-custom", true)]
    [InlineData("X-Custom", true)]
    [InlineData("X-Upper", false)]
    [InlineData("User-Agent", false)]
    [InlineData("Hôst", false)]
    public void IsSigned_AgreesWithTheHeadersTheCanonicalRequestSigns(string name, bool isSigned)
    {
        // "X-Upper" is listed in upper case, which no lower-cased name equals: not signed, as in the canonical request.
        IReadOnlyList<string> additional = ["host", "x-custom", "X-Upper"];
        var request = new CanonicalRequest("PUT", "b", "k", [], [new(name, "v")], additional);

        Assert.Equal(isSigned, CanonicalRequest.IsSigned(name, additional));
        Assert.Equal(isSigned, request.SignedHeaders.Count == 1);
    }

    [Fact]
    public void SignaturesEqual_ComparesWholeStrings()
    {
        Assert.True(OssV4Signer.SignaturesEqual("abc", "abc"));
        Assert.False(OssV4Signer.SignaturesEqual("abc", "abd"));
        Assert.False(OssV4Signer.SignaturesEqual("abc", "ab"));
    }

    [Fact]
    public void CanonicalRequest_RepeatedHeader_JoinsValuesWithComma()
    {
        var request = new CanonicalRequest("put", "b", "k", [], [new("X-Oss-Meta-A", " 1 "), new("x-oss-meta-a", "2")], []);

        Assert.Equal("PUT\n/b/k\n\nx-oss-meta-a:1,2\n\n\nUNSIGNED-PAYLOAD", request.ToString());
    }

    [Fact]
    public void CanonicalRequest_NoParametersNoHeaders_HasTheSpecNewlines()
    {
        Assert.Equal("GET\n/b/k\n\n\n\nUNSIGNED-PAYLOAD", new CanonicalRequest("GET", "b", "k", [], [], []).ToString());
    }
}
