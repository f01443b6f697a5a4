namespace OssPresign.Tests.Credentials;

/// <summary>Credential providers (OSS-V4.md §3). The environment tests run one at a time: they change the process environment.</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class CredentialsProviderTests
{
    [Fact]
    public void OssCredentials_ToString_NeverShowsSecretOrToken()
    {
        var credentials = new OssCredentials("LTAI-id", "super-secret-value", "sts-token-value");

        var text = credentials.ToString();

        Assert.Contains("LTAI-id", text, StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret-value", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sts-token-value", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "s")]
    [InlineData("id", " ")]
    [InlineData("a/b", "s")]
    public void OssCredentials_Invalid_Throws(string id, string secret) => Assert.ThrowsAny<ArgumentException>(() => new OssCredentials(id, secret));

    [Fact]
    public async Task Static_ReturnsItsKey()
    {
        var credentials = await new StaticCredentialsProvider("id", "secret", "token").GetCredentialsAsync(default);

        Assert.Equal(("id", "secret", "token"), (credentials!.AccessKeyId, credentials.AccessKeySecret, credentials.SecurityToken));
    }

    [Fact]
    public async Task Environment_ReadsTheThreeVariables()
    {
        using var env = new EnvironmentScope(("OSS_ACCESS_KEY_ID", "env-id"), ("OSS_ACCESS_KEY_SECRET", "env-secret"), ("OSS_SESSION_TOKEN", "env-token"));

        var credentials = await new EnvironmentVariableCredentialsProvider().GetCredentialsAsync(default);

        Assert.Equal(("env-id", "env-secret", "env-token"), (credentials!.AccessKeyId, credentials.AccessKeySecret, credentials.SecurityToken));
    }

    [Fact]
    public async Task Environment_TokenIsOptional()
    {
        using var env = new EnvironmentScope(("OSS_ACCESS_KEY_ID", "env-id"), ("OSS_ACCESS_KEY_SECRET", "env-secret"), ("OSS_SESSION_TOKEN", null));

        var credentials = await new EnvironmentVariableCredentialsProvider().GetCredentialsAsync(default);

        Assert.Null(credentials!.SecurityToken);
    }

    [Fact]
    public async Task Environment_TrimsWhitespaceAroundEachVariable()
    {
        using var env = new EnvironmentScope(("OSS_ACCESS_KEY_ID", " LTAIx "), ("OSS_ACCESS_KEY_SECRET", "\tenv-secret\n"), ("OSS_SESSION_TOKEN", " env-token\r\n"));

        var credentials = await new EnvironmentVariableCredentialsProvider().GetCredentialsAsync(default);

        Assert.Equal(("LTAIx", "env-secret", "env-token"), (credentials!.AccessKeyId, credentials.AccessKeySecret, credentials.SecurityToken));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("\n")]
    public async Task Environment_WhitespaceOnlyToken_IsNoToken(string token)
    {
        using var env = new EnvironmentScope(("OSS_ACCESS_KEY_ID", "env-id"), ("OSS_ACCESS_KEY_SECRET", "env-secret"), ("OSS_SESSION_TOKEN", token));

        var credentials = await new EnvironmentVariableCredentialsProvider().GetCredentialsAsync(default);

        Assert.Null(credentials!.SecurityToken);
    }

    [Fact]
    public async Task Environment_WhitespaceOnlyToken_PutsNoTokenInTheUrl()
    {
        using var env = new EnvironmentScope(("OSS_ACCESS_KEY_ID", "env-id"), ("OSS_ACCESS_KEY_SECRET", "env-secret"), ("OSS_SESSION_TOKEN", "  "));
        var client = new OssClient(new OssClientOptions { Region = "cn-hangzhou", CredentialsProvider = new EnvironmentVariableCredentialsProvider() });

        var result = await client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "k" });

        Assert.DoesNotContain("x-oss-security-token", result.Url, StringComparison.Ordinal);
    }

    [Fact]
    public void OssCredentials_WhitespaceOnlyToken_IsNoToken() => Assert.Null(new OssCredentials("id", "s", " \t").SecurityToken);

    [Theory]
    [InlineData("  ", "s", "OSS_ACCESS_KEY_ID")]
    [InlineData("id", "\t", "OSS_ACCESS_KEY_SECRET")]
    [InlineData(null, "s", "OSS_ACCESS_KEY_ID")]
    [InlineData("id", null, "OSS_ACCESS_KEY_SECRET")]
    public async Task Environment_MissingVariable_ErrorNamesIt(string? id, string? secret, string missing)
    {
        using var env = new EnvironmentScope(("OSS_ACCESS_KEY_ID", id), ("OSS_ACCESS_KEY_SECRET", secret));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new EnvironmentVariableCredentialsProvider().GetCredentialsAsync(default).AsTask());

        Assert.StartsWith($"The environment variable {missing} is not set.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_BothMissing_ErrorNamesBoth()
    {
        using var env = new EnvironmentScope(("OSS_ACCESS_KEY_ID", null), ("OSS_ACCESS_KEY_SECRET", ""));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new EnvironmentVariableCredentialsProvider().GetCredentialsAsync(default).AsTask());

        Assert.Contains("OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET are not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delegate_IsCalledEachTime()
    {
        var calls = 0;
        var provider = new DelegateCredentialsProvider(_ => new ValueTask<OssCredentials?>(new OssCredentials("id" + ++calls, "s")));

        await provider.GetCredentialsAsync(default);
        var second = await provider.GetCredentialsAsync(default);

        Assert.Equal("id2", second!.AccessKeyId);
    }

    [Fact]
    public async Task Anonymous_ReturnsNull() => Assert.Null(await new AnonymousCredentialsProvider().GetCredentialsAsync(default));

    private sealed class EnvironmentScope : IDisposable
    {
        private readonly (string Name, string? Value)[] _saved;

        public EnvironmentScope(params (string Name, string? Value)[] variables)
        {
            _saved = [.. variables.Select(v => (v.Name, Environment.GetEnvironmentVariable(v.Name)))];
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        public void Dispose()
        {
            foreach (var (name, value) in _saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}

[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;
