namespace OssPresign.Server.Auth;

/// <summary>The access keys the server accepts, each with its parsed policy. Immutable after start.</summary>
internal sealed class AccessKeyStore
{
    private readonly Dictionary<string, AccessKeyEntry> _keys = new(StringComparer.Ordinal);

    /// <summary>Loads the keys; a policy that cannot be evaluated stops the server with a message naming the key.</summary>
    /// <param name="keys">The keys, in precedence order.</param>
    /// <exception cref="InvalidOperationException">Two keys share an id, a key is incomplete, or a policy is invalid.</exception>
    public AccessKeyStore(IEnumerable<LocalAccessKey> keys)
    {
        foreach (var key in keys)
        {
            if (string.IsNullOrWhiteSpace(key.AccessKeyId) || string.IsNullOrEmpty(key.AccessKeySecret) || key.AccessKeyId.Contains('/', StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"Access key '{key.AccessKeyId}' needs a non-empty id without '/' and a non-empty secret.");
            }

            AccessPolicy? policy;
            try
            {
                policy = key.Policy is null ? null : AccessPolicy.Parse(key.Policy);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"The policy of access key '{key.AccessKeyId}' is not valid: {e.Message}", e);
            }

            if (!_keys.TryAdd(key.AccessKeyId, new AccessKeyEntry(key, policy)))
            {
                throw new InvalidOperationException($"Access key '{key.AccessKeyId}' is declared twice.");
            }
        }
    }

    /// <summary>Finds an enabled or disabled key by id.</summary>
    /// <param name="accessKeyId">The id from the credential.</param>
    /// <param name="entry">The key and its policy.</param>
    /// <returns>Whether the id is known.</returns>
    public bool TryGet(string accessKeyId, out AccessKeyEntry entry) => _keys.TryGetValue(accessKeyId, out entry!);
}

/// <summary>A known key and its policy (null = full access).</summary>
/// <param name="Key">The key.</param>
/// <param name="Policy">The parsed policy, or null for full access.</param>
internal sealed record AccessKeyEntry(LocalAccessKey Key, AccessPolicy? Policy)
{
    /// <summary>Whether the key may perform <paramref name="action"/> on the resource.</summary>
    public bool IsAllowed(string action, string region, string resource) => Policy?.IsAllowed(action, region, resource) ?? true;
}
