using OssPresign.Server.Api;

namespace OssPresign.Server.Auth;

/// <summary>The access keys the server accepts, each with its parsed policy. Immutable after start.</summary>
internal sealed class AccessKeyStore
{
    private readonly Dictionary<string, AccessKeyEntry> _keys = new(StringComparer.Ordinal);
    private readonly List<AccessKeyEntry> _inPrecedenceOrder = [];

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

            var entry = new AccessKeyEntry(key, policy);
            if (!_keys.TryAdd(key.AccessKeyId, entry))
            {
                throw new InvalidOperationException($"Access key '{key.AccessKeyId}' is declared twice.");
            }

            _inPrecedenceOrder.Add(entry);
        }
    }

    /// <summary>Finds an enabled or disabled key by id.</summary>
    /// <param name="accessKeyId">The id from the credential.</param>
    /// <param name="entry">The key and its policy.</param>
    /// <returns>Whether the id is known.</returns>
    public bool TryGet(string accessKeyId, out AccessKeyEntry entry) => _keys.TryGetValue(accessKeyId, out entry!);

    /// <summary>
    /// The first key, in precedence order, that a request signed with it could use for <paramref name="action"/> on the
    /// resource: enabled (a disabled key is refused as unknown) and allowed by its policy.
    /// </summary>
    /// <param name="action">The RAM action, e.g. <c>oss:PutObject</c>.</param>
    /// <param name="region">The region of the resource.</param>
    /// <param name="resource">The resource, as <see cref="AccessPolicy.IsAllowed"/> takes it.</param>
    /// <returns>The key, or null when no key may.</returns>
    public AccessKeyEntry? FirstAllowed(string action, string region, string resource) =>
        _inPrecedenceOrder.Find(entry => !entry.Key.Disabled && entry.IsAllowed(action, region, resource));

    /// <summary>
    /// The credentials of the first key that may run <paramref name="operation"/> on <paramref name="key"/> of
    /// <paramref name="bucket"/>, checked with the action and resource <see cref="OssRequestHandler"/> checks.
    /// </summary>
    /// <returns>The credentials, or null when no key may.</returns>
    public OssCredentials? CredentialsAllowedTo(OssOperation operation, string region, string bucket, string key)
    {
        var resource = OssOperations.Resource(new OssRequestTarget(bucket, key, [], VirtualHosted: false));
        var allowed = FirstAllowed(OssOperations.Action(operation), region, resource);
        return allowed is null ? null : new OssCredentials(allowed.Key.AccessKeyId, allowed.Key.AccessKeySecret, allowed.Key.SecurityToken);
    }
}

/// <summary>A known key and its policy (null = full access).</summary>
/// <param name="Key">The key.</param>
/// <param name="Policy">The parsed policy, or null for full access.</param>
internal sealed record AccessKeyEntry(LocalAccessKey Key, AccessPolicy? Policy)
{
    /// <summary>Whether the key may perform <paramref name="action"/> on the resource.</summary>
    public bool IsAllowed(string action, string region, string resource) => Policy?.IsAllowed(action, region, resource) ?? true;
}
