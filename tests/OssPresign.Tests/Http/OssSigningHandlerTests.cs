using OssPresign.Http;

namespace OssPresign.Tests.Http;

/// <summary>The handler checks its options when it is made, as <see cref="OssClient"/> does, not on the first request.</summary>
public sealed class OssSigningHandlerTests
{
    private static OssClientOptions Options(ICredentialsProvider? credentials = null, TimeProvider? time = null, string product = "oss") => new()
    {
        Region = "cn-hangzhou",
        CredentialsProvider = credentials!,
        TimeProvider = time!,
        Product = product,
    };

    public static TheoryData<string, string> NullOptions => new()
    {
        { "CredentialsProvider", "options.CredentialsProvider" },
        { "TimeProvider", "options.TimeProvider" },
        { "Product", "options.Product" },
    };

    [Theory]
    [MemberData(nameof(NullOptions))]
    public void NullOption_IsArgumentNullNamingIt_LikeOssClient(string option, string parameter)
    {
        var options = option switch
        {
            "CredentialsProvider" => Options(credentials: null, time: TimeProvider.System),
            "TimeProvider" => Options(new AnonymousCredentialsProvider(), time: null),
            _ => Options(new AnonymousCredentialsProvider(), TimeProvider.System, product: null!),
        };

        var handlerError = Assert.Throws<ArgumentNullException>(() => new OssSigningHandler(options));
        var clientError = Assert.Throws<ArgumentNullException>(() => new OssClient(options));

        Assert.Equal(parameter, handlerError.ParamName);
        Assert.Equal(clientError.Message, handlerError.Message);
    }

    [Fact]
    public void WhitespaceProduct_IsArgumentException() =>
        Assert.Throws<ArgumentException>(() => new OssSigningHandler(Options(new AnonymousCredentialsProvider(), TimeProvider.System, product: " ")));

    [Fact]
    public void NullOptions_IsArgumentNull() =>
        Assert.Throws<ArgumentNullException>(() => new OssSigningHandler(null!));
}
