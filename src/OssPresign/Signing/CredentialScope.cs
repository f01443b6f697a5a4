namespace OssPresign.Signing;

/// <summary>
/// The credential of a V4 signature: <c>AccessKeyId/date/region/product/aliyun_v4_request</c> (OSS-V4.md §1.3).
/// Formats and parses the wire form shared by <c>x-oss-credential</c> and the Authorization header.
/// </summary>
/// <param name="AccessKeyId">The access key id.</param>
/// <param name="Date">The date, <c>yyyyMMdd</c>.</param>
/// <param name="Region">The bare region id, e.g. <c>cn-hangzhou</c>.</param>
/// <param name="Product">The product, <c>oss</c>.</param>
public sealed record CredentialScope(string AccessKeyId, string Date, string Region, string Product)
{
    // Computed once: a presign writes the credential into the canonical query and the URL.
    private readonly string _value = $"{AccessKeyId}/{Date}/{Region}/{Product}/{OssV4.ScopeTerminator}";

    /// <summary>The scope without the access key id: <c>date/region/product/aliyun_v4_request</c>.</summary>
    public string Scope => _value[(AccessKeyId.Length + 1)..];

    /// <summary>The wire form: <c>AccessKeyId/date/region/product/aliyun_v4_request</c>.</summary>
    /// <returns>The credential string.</returns>
    public override string ToString() => _value;

    /// <summary>
    /// Parses a credential. The access key id may not contain <c>/</c>, so the string must have exactly five parts.
    /// </summary>
    /// <param name="value">The credential string.</param>
    /// <param name="scope">The parsed scope, when well formed.</param>
    /// <returns>Whether <paramref name="value"/> has five non-empty parts ending in <c>aliyun_v4_request</c>.</returns>
    public static bool TryParse(string? value, out CredentialScope? scope)
    {
        scope = null;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var parts = value.Split('/');
        if (parts.Length != 5 || parts[4] != OssV4.ScopeTerminator || Array.Exists(parts, string.IsNullOrEmpty))
        {
            return false;
        }

        scope = new CredentialScope(parts[0], parts[1], parts[2], parts[3]);
        return true;
    }
}
