namespace OssPresign.Cli;

/// <summary>
/// Credentials from <c>OSS_ACCESS_KEY_ID</c>, <c>OSS_ACCESS_KEY_SECRET</c> and <c>OSS_SESSION_TOKEN</c>, read through
/// the context so that tests can supply them. The secret is only ever handed to the signer, never printed.
/// </summary>
internal static class EnvironmentCredentials
{
    public static OssCredentials? Read(CliContext context, out string problem)
    {
        var id = context.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.AccessKeyIdVariable);
        var secret = context.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.AccessKeySecretVariable);
        var token = context.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.SessionTokenVariable);
        if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(secret))
        {
            problem = $"error: set {EnvironmentVariableCredentialsProvider.AccessKeyIdVariable} and " +
                $"{EnvironmentVariableCredentialsProvider.AccessKeySecretVariable} (and {EnvironmentVariableCredentialsProvider.SessionTokenVariable} " +
                "for STS credentials) to presign.";
            return null;
        }

        if (id.Contains('/', StringComparison.Ordinal))
        {
            problem = $"error: {EnvironmentVariableCredentialsProvider.AccessKeyIdVariable} contains '/', which an access key id cannot.";
            return null;
        }

        problem = string.Empty;
        return new OssCredentials(id.Trim(), secret.Trim(), string.IsNullOrWhiteSpace(token) ? null : token.Trim());
    }

    /// <summary>The secret alone, for verifying a URL; null when unset.</summary>
    public static string? Secret(CliContext context) =>
        context.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.AccessKeySecretVariable) is { Length: > 0 } secret ? secret.Trim() : null;
}
