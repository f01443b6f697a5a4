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
    // The wire form, made once: a presign writes it into the canonical query and the URL. A parsed scope keeps the
    // string it was parsed from. Each init accessor drops it, so that "with" cannot leave a stale one behind.
    private string? _value;

    private CredentialScope(string accessKeyId, string date, string region, string product, string value)
        : this(accessKeyId, date, region, product) => _value = value;

    /// <summary>The access key id.</summary>
    public string AccessKeyId { get; init { field = value; _value = null; } } = AccessKeyId;

    /// <summary>The date, <c>yyyyMMdd</c>.</summary>
    public string Date { get; init { field = value; _value = null; } } = Date;

    /// <summary>The bare region id, e.g. <c>cn-hangzhou</c>.</summary>
    public string Region { get; init { field = value; _value = null; } } = Region;

    /// <summary>The product, <c>oss</c>.</summary>
    public string Product { get; init { field = value; _value = null; } } = Product;

    /// <summary>The scope without the access key id: <c>date/region/product/aliyun_v4_request</c>.</summary>
    public string Scope => ToString()[(AccessKeyId.Length + 1)..];

    /// <summary>The wire form: <c>AccessKeyId/date/region/product/aliyun_v4_request</c>.</summary>
    /// <returns>The credential string.</returns>
    public override string ToString() => _value ??= $"{AccessKeyId}/{Date}/{Region}/{Product}/{OssV4.ScopeTerminator}";

    /// <summary>Whether both scopes have the same four parts.</summary>
    /// <param name="other">The other scope.</param>
    /// <returns>True when equal.</returns>
    public bool Equals(CredentialScope? other) => other is not null
        && string.Equals(AccessKeyId, other.AccessKeyId, StringComparison.Ordinal)
        && string.Equals(Date, other.Date, StringComparison.Ordinal)
        && string.Equals(Region, other.Region, StringComparison.Ordinal)
        && string.Equals(Product, other.Product, StringComparison.Ordinal);

    /// <summary>A hash of the four parts.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => HashCode.Combine(AccessKeyId, Date, Region, Product);

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

        if (s_lastParsed is { } last && string.Equals(last._value, value, StringComparison.Ordinal))
        {
            scope = last;
            return true;
        }

        // One more slot than parts, so that a sixth part shows up as a sixth range.
        Span<Range> parts = stackalloc Range[6];
        var text = value.AsSpan();
        if (text.Split(parts, '/') != 5 || !text[parts[4]].SequenceEqual(OssV4.ScopeTerminator))
        {
            return false;
        }

        foreach (var part in parts[..4])
        {
            if (part.Start.Equals(part.End))
            {
                return false;
            }
        }

        scope = new CredentialScope(value[parts[0]], value[parts[1]], value[parts[2]], value[parts[3]], value);
        s_lastParsed = scope;
        return true;
    }

    /// <summary>
    /// The scope parsed last: a verifier sees the same credential string on request after request (it changes once a
    /// day per key), and reusing the parse saves five strings per request. Immutable, so sharing it is safe.
    /// </summary>
    private static CredentialScope? s_lastParsed;
}
