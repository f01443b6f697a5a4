using OssPresign.Signing;

namespace OssPresign.Tests.Signing;

/// <summary>The credential's wire form follows its parts, however the scope was made.</summary>
public sealed class CredentialScopeTests
{
    private const string Wire = "ak/20231217/cn-hangzhou/oss/aliyun_v4_request";

    [Fact]
    public void TryParse_KeepsTheWireForm_AndEqualsTheConstructedScope()
    {
        Assert.True(CredentialScope.TryParse(Wire, out var parsed));
        var constructed = new CredentialScope("ak", "20231217", "cn-hangzhou", "oss");

        Assert.Equal(Wire, parsed!.ToString());
        Assert.Equal("20231217/cn-hangzhou/oss/aliyun_v4_request", parsed.Scope);
        Assert.Equal(constructed, parsed);
        Assert.Equal(constructed.GetHashCode(), parsed.GetHashCode());
        Assert.Equal(Wire, constructed.ToString());
    }

    [Fact]
    public void TryParse_AlternatingCredentials_EachGetsItsOwnScope()
    {
        // The parser reuses the scope it parsed last; alternating strings must never get each other's.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(CredentialScope.TryParse("AK1/20231217/cn-hangzhou/oss/aliyun_v4_request", out var first));
            Assert.True(CredentialScope.TryParse("AK2/20231218/cn-beijing/oss/aliyun_v4_request", out var second));
            Assert.Equal(new CredentialScope("AK1", "20231217", "cn-hangzhou", "oss"), first);
            Assert.Equal(new CredentialScope("AK2", "20231218", "cn-beijing", "oss"), second);
            Assert.Equal("AK2/20231218/cn-beijing/oss/aliyun_v4_request", second!.ToString());
        }

        Assert.False(CredentialScope.TryParse("AK2/20231218/cn-beijing/oss/aliyun_v4_request/", out _));
    }

    [Fact]
    public void With_ChangesTheWireForm()
    {
        Assert.True(CredentialScope.TryParse(Wire, out var parsed));

        var other = parsed! with { Region = "cn-beijing" };

        Assert.Equal("ak/20231217/cn-beijing/oss/aliyun_v4_request", other.ToString());
        Assert.NotEqual(parsed, other);
    }

    [Theory]
    [InlineData("ak/20231217/cn-hangzhou/oss")]
    [InlineData("ak/20231217/cn-hangzhou/oss/aliyun_v4_request/")]
    [InlineData("ak/20231217/cn-hangzhou/oss/aliyun_v4_request/x")]
    [InlineData("ak//cn-hangzhou/oss/aliyun_v4_request")]
    [InlineData("/20231217/cn-hangzhou/oss/aliyun_v4_request")]
    [InlineData("ak/20231217/cn-hangzhou/oss/aliyun_v4_requesT")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_Malformed_IsFalse(string? value) => Assert.False(CredentialScope.TryParse(value, out _));
}
