namespace OssPresign;

/// <summary>An access key pair and an optional STS security token. <see cref="ToString"/> never shows the secret.</summary>
public sealed class OssCredentials
{
    /// <summary>Creates credentials.</summary>
    /// <param name="accessKeyId">The access key id.</param>
    /// <param name="accessKeySecret">The access key secret.</param>
    /// <param name="securityToken">The STS security token, or null (or empty or whitespace) for a long-term key.</param>
    public OssCredentials(string accessKeyId, string accessKeySecret, string? securityToken = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accessKeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(accessKeySecret);
        if (accessKeyId.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("An access key id cannot contain '/': it would break the V4 credential scope.", nameof(accessKeyId));
        }

        AccessKeyId = accessKeyId;
        AccessKeySecret = accessKeySecret;
        // Whitespace-only is no token, as a whitespace-only id or secret is no key: signing it would put
        // x-oss-security-token=%20%20 in every URL, and OSS would refuse it.
        SecurityToken = string.IsNullOrWhiteSpace(securityToken) ? null : securityToken;
    }

    /// <summary>The access key id.</summary>
    public string AccessKeyId { get; }

    /// <summary>The access key secret.</summary>
    public string AccessKeySecret { get; }

    /// <summary>The STS security token, or null.</summary>
    public string? SecurityToken { get; }

    /// <summary>The access key id and whether a token is present; never the secret or the token.</summary>
    /// <returns>A string safe to log.</returns>
    public override string ToString() =>
        $"OssCredentials {{ AccessKeyId = {AccessKeyId}, AccessKeySecret = ***, SecurityToken = {(SecurityToken is null ? "none" : "***")} }}";
}

/// <summary>Supplies the credentials to sign with. Called once per signature; implementations cache as they need.</summary>
public interface ICredentialsProvider
{
    /// <summary>Gets the credentials, or null to leave requests unsigned (anonymous).</summary>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The credentials, or null for anonymous access.</returns>
    ValueTask<OssCredentials?> GetCredentialsAsync(CancellationToken cancellationToken);
}

/// <summary>Fixed credentials.</summary>
public sealed class StaticCredentialsProvider : ICredentialsProvider
{
    private readonly OssCredentials _credentials;

    /// <summary>Creates a provider of one fixed key.</summary>
    /// <param name="accessKeyId">The access key id.</param>
    /// <param name="accessKeySecret">The access key secret.</param>
    /// <param name="securityToken">The STS security token, or null.</param>
    public StaticCredentialsProvider(string accessKeyId, string accessKeySecret, string? securityToken = null) =>
        _credentials = new OssCredentials(accessKeyId, accessKeySecret, securityToken);

    /// <inheritdoc />
    public ValueTask<OssCredentials?> GetCredentialsAsync(CancellationToken cancellationToken) => new(_credentials);
}

/// <summary>
/// Credentials from the environment variables <c>OSS_ACCESS_KEY_ID</c>, <c>OSS_ACCESS_KEY_SECRET</c> and the optional
/// <c>OSS_SESSION_TOKEN</c>, read on every call so that a rotated token is picked up. Whitespace around each value is
/// removed, and a variable that is empty or whitespace counts as unset.
/// </summary>
public sealed class EnvironmentVariableCredentialsProvider : ICredentialsProvider
{
    /// <summary>The access key id variable.</summary>
    public const string AccessKeyIdVariable = "OSS_ACCESS_KEY_ID";

    /// <summary>The access key secret variable.</summary>
    public const string AccessKeySecretVariable = "OSS_ACCESS_KEY_SECRET";

    /// <summary>The STS token variable.</summary>
    public const string SessionTokenVariable = "OSS_SESSION_TOKEN";

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A required variable is unset, empty or whitespace; the message names it.</exception>
    public ValueTask<OssCredentials?> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        // Trimmed: a value pasted with a space or a newline around it (export OSS_ACCESS_KEY_ID=" LTAI... ") would be
        // signed with it, and OSS answers 403 InvalidAccessKeyId with nothing to show why.
        var id = Read(AccessKeyIdVariable);
        var secret = Read(AccessKeySecretVariable);
        var missing = new[] { (AccessKeyIdVariable, id), (AccessKeySecretVariable, secret) }
            .Where(v => v.Item2 is null)
            .Select(v => v.Item1)
            .ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"The environment variable{(missing.Length > 1 ? "s" : "")} {string.Join(" and ", missing)} " +
                $"{(missing.Length > 1 ? "are" : "is")} not set. Set {AccessKeyIdVariable} and {AccessKeySecretVariable} " +
                $"(and {SessionTokenVariable} for STS credentials).");
        }

        return new(new OssCredentials(id!, secret!, Read(SessionTokenVariable)));

        static string? Read(string variable) =>
            Environment.GetEnvironmentVariable(variable)?.Trim() is { Length: > 0 } value ? value : null;
    }
}

/// <summary>No credentials: presigned URLs come out unsigned, for public-read buckets.</summary>
public sealed class AnonymousCredentialsProvider : ICredentialsProvider
{
    /// <inheritdoc />
    public ValueTask<OssCredentials?> GetCredentialsAsync(CancellationToken cancellationToken) => new((OssCredentials?)null);
}

/// <summary>Credentials from a delegate, e.g. a call to STS or a secret store.</summary>
/// <param name="getCredentials">Returns the credentials, or null for anonymous.</param>
public sealed class DelegateCredentialsProvider(Func<CancellationToken, ValueTask<OssCredentials?>> getCredentials) : ICredentialsProvider
{
    private readonly Func<CancellationToken, ValueTask<OssCredentials?>> _getCredentials =
        getCredentials ?? throw new ArgumentNullException(nameof(getCredentials));

    /// <inheritdoc />
    public ValueTask<OssCredentials?> GetCredentialsAsync(CancellationToken cancellationToken) => _getCredentials(cancellationToken);
}
