using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace OssPresign.Signing;

/// <summary>
/// String to sign, signing key and signature of OSS Signature V4 (OSS-V4.md §1.10, §1.11). Pure functions of their
/// inputs; the signing key is cached per (secret, date, region, product).
/// </summary>
[SkipLocalsInit]
public static class OssV4Signer
{
    private const int MaxCachedKeys = 1024;
    private static readonly ConcurrentDictionary<(string Secret, string Date, string Region, string Product), SigningKey> SigningKeys = new();

    // Immutable and swapped whole, so a reader on another thread sees a consistent entry.
    private static LastSigningKey? s_lastKey;

    /// <summary>
    /// The string to sign: algorithm, datetime, scope and the hex SHA-256 of the canonical request, joined by LF.
    /// </summary>
    /// <param name="request">The canonical request.</param>
    /// <param name="signingTime">The signing time (<c>x-oss-date</c>).</param>
    /// <param name="credential">The credential whose scope is line 3.</param>
    /// <returns>The four-line string to sign.</returns>
    public static string BuildStringToSign(CanonicalRequest request, DateTimeOffset signingTime, CredentialScope credential)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credential);
        var canonical = new PooledCharBuilder(stackalloc char[CanonicalRequestStackChars]);
        var builder = new PooledCharBuilder(stackalloc char[StringToSignStackChars]);
        try
        {
            request.Fields.Write(ref canonical);
            WriteStringToSign(ref builder, canonical.Written, signingTime, credential);
            return builder.ToString();
        }
        finally
        {
            canonical.Dispose();
            builder.Dispose();
        }
    }

    /// <summary>Computes the lower-case hex signature (64 chars) of a canonical request.</summary>
    /// <param name="request">The canonical request.</param>
    /// <param name="signingTime">The signing time (<c>x-oss-date</c>).</param>
    /// <param name="credential">The credential whose scope is signed and whose date, region and product derive the key.</param>
    /// <param name="accessKeySecret">The access key secret.</param>
    /// <returns>The signature.</returns>
    public static string ComputeSignature(CanonicalRequest request, DateTimeOffset signingTime, CredentialScope credential, string accessKeySecret)
    {
        ArgumentNullException.ThrowIfNull(request);
        Span<byte> mac = stackalloc byte[SignatureBytes];
        ComputeMac(request.Fields, signingTime, credential, accessKeySecret, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>The length of a hex signature.</summary>
    internal const int SignatureLength = 64;

    /// <summary>
    /// Writes the lower-case hex signature (64 chars) of an already written canonical request into
    /// <paramref name="destination"/>, allocating nothing: the presign path keeps the text, since its query is also the
    /// URL's.
    /// </summary>
    internal static void WriteSignature(
        ReadOnlySpan<char> canonicalRequest, DateTimeOffset signingTime, CredentialScope credential, string accessKeySecret, Span<char> destination)
    {
        Span<byte> mac = stackalloc byte[SignatureBytes];
        ComputeMac(canonicalRequest, signingTime, credential, accessKeySecret, mac);
        Convert.TryToHexStringLower(mac, destination, out _);
    }

    /// <summary>The stack buffer for a canonical request; a longer one (many parameters, long keys) moves to the pool.</summary>
    internal const int CanonicalRequestStackChars = 1024;

    private const int StringToSignStackChars = 256;

    private const int SignatureBytes = 32;

    /// <summary>The raw HMAC-SHA256 of the string to sign (32 bytes): the signature before hex.</summary>
    private static void ComputeMac(
        scoped in CanonicalFields request, DateTimeOffset signingTime, CredentialScope credential, string accessKeySecret, Span<byte> mac)
    {
        var canonical = new PooledCharBuilder(stackalloc char[CanonicalRequestStackChars]);
        try
        {
            request.Write(ref canonical);
            ComputeMac(canonical.Written, signingTime, credential, accessKeySecret, mac);
        }
        finally
        {
            canonical.Dispose();
        }
    }

    private static void ComputeMac(
        ReadOnlySpan<char> canonicalRequest, DateTimeOffset signingTime, CredentialScope credential, string accessKeySecret, Span<byte> mac)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentException.ThrowIfNullOrEmpty(accessKeySecret);

        var key = GetSigningKey(accessKeySecret, credential.Date, credential.Region, credential.Product);
        var builder = new PooledCharBuilder(stackalloc char[StringToSignStackChars]);
        try
        {
            WriteStringToSign(ref builder, canonicalRequest, signingTime, credential);
            SigningHashes.HmacSha256(key, builder.Written, mac);
        }
        finally
        {
            builder.Dispose();
        }
    }

    /// <summary>
    /// Derives the signing key: HMAC chain over date, region, product and <c>aliyun_v4_request</c>, keyed first with
    /// <c>"aliyun_v4" + secret</c> (§1.11). Not cached; <see cref="ComputeSignature"/> uses a cache.
    /// </summary>
    /// <param name="accessKeySecret">The access key secret.</param>
    /// <param name="date">The scope date, <c>yyyyMMdd</c>.</param>
    /// <param name="region">The region.</param>
    /// <param name="product">The product.</param>
    /// <returns>The 32-byte signing key.</returns>
    public static byte[] DeriveSigningKey(string accessKeySecret, string date, string region, string product)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKeySecret);
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("aliyun_v4" + accessKeySecret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(product));
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(OssV4.ScopeTerminator));
    }

    /// <summary>
    /// Whether <paramref name="providedSignature"/> is the signature of the request: computes it into a stack buffer and
    /// compares in constant time, allocating nothing (the verifier's path; <see cref="ComputeSignature"/> returns a
    /// string).
    /// </summary>
    /// <param name="request">The canonical request rebuilt from what was received.</param>
    /// <param name="signingTime">The signing time (<c>x-oss-date</c>).</param>
    /// <param name="credential">The credential whose scope is signed and whose date, region and product derive the key.</param>
    /// <param name="accessKeySecret">The access key secret.</param>
    /// <param name="providedSignature">The signature the request carried.</param>
    /// <returns>True when they match.</returns>
    public static bool IsSignatureValid(
        CanonicalRequest request, DateTimeOffset signingTime, CredentialScope credential, string accessKeySecret, string providedSignature)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(providedSignature);
        Span<byte> expected = stackalloc byte[SignatureBytes];
        ComputeMac(request.Fields, signingTime, credential, accessKeySecret, expected);

        // Compared as the 32 bytes rather than the 64 hex chars (128 bytes): FixedTimeEquals is never optimized by
        // the JIT, so its cost grows with the length, and over the 128 bytes it was over a tenth of a verification.
        // Length and alphabet checks look only at what the request carried. Upper-case hex is refused, as it never
        // equals the signer's output.
        Span<byte> provided = stackalloc byte[SignatureBytes];
        return providedSignature.Length == SignatureLength
            && !providedSignature.AsSpan().ContainsAnyInRange('A', 'F')
            && Convert.FromHexString(providedSignature, provided, out _, out _) == System.Buffers.OperationStatus.Done
            && CryptographicOperations.FixedTimeEquals(expected, provided);
    }

    /// <summary>Compares two signatures in constant time.</summary>
    /// <param name="expected">The signature the verifier computed.</param>
    /// <param name="provided">The signature the request carried.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool SignaturesEqual(string expected, string provided)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(provided);

        return FixedTimeEquals(expected, provided);
    }

    /// <summary>
    /// Constant time, so that response timing does not reveal how many leading characters of a forgery are right.
    /// </summary>
    private static bool FixedTimeEquals(ReadOnlySpan<char> expected, ReadOnlySpan<char> provided) =>
        CryptographicOperations.FixedTimeEquals(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected),
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(provided));

    private static SigningKey GetSigningKey(string secret, string date, string region, string product)
    {
        // Most calls sign with the key of the call before: comparing four short strings costs less than hashing them.
        var last = s_lastKey;
        if (last is not null && last.Matches(secret, date, region, product))
        {
            return last.Key;
        }

        var cacheKey = (secret, date, region, product);
        if (!SigningKeys.TryGetValue(cacheKey, out var key))
        {
            if (SigningKeys.Count >= MaxCachedKeys)
            {
                // Keys change daily; a full cache is mostly yesterday's, so dropping it all is cheap and bounded.
                SigningKeys.Clear();
            }

            key = SigningKeys.GetOrAdd(cacheKey, static k => new SigningKey(DeriveSigningKey(k.Secret, k.Date, k.Region, k.Product)));
        }

        s_lastKey = new LastSigningKey(secret, date, region, product, key);
        return key;
    }

    private sealed record LastSigningKey(string Secret, string Date, string Region, string Product, SigningKey Key)
    {
        public bool Matches(string secret, string date, string region, string product) =>
            string.Equals(Secret, secret, StringComparison.Ordinal) && string.Equals(Date, date, StringComparison.Ordinal)
            && string.Equals(Region, region, StringComparison.Ordinal) && string.Equals(Product, product, StringComparison.Ordinal);
    }

    private static void WriteStringToSign(
        ref PooledCharBuilder builder, ReadOnlySpan<char> canonicalRequest, DateTimeOffset signingTime, CredentialScope credential)
    {
        builder.Append(OssV4.Algorithm);
        builder.Append('\n');
        OssV4.WriteDateTime(signingTime, builder.AppendSpan(OssV4.DateTimeLength));
        builder.Append('\n');
        builder.Append(credential.Date);
        builder.Append('/');
        builder.Append(credential.Region);
        builder.Append('/');
        builder.Append(credential.Product);
        builder.Append('/');
        builder.Append(OssV4.ScopeTerminator);
        builder.Append('\n');
        SigningHashes.Sha256Hex(canonicalRequest, builder.AppendSpan(64));
    }
}
