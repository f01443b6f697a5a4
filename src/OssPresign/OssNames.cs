using System.Buffers;
using System.Text;

namespace OssPresign;

/// <summary>
/// The naming rules of OSS buckets, object keys and user metadata, shared by the client and the local server.
/// </summary>
public static class OssNames
{
    /// <summary>The longest object key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1023;

    /// <summary>The prefix of a user metadata header: <c>x-oss-meta-</c>.</summary>
    public const string MetadataPrefix = "x-oss-meta-";

    /// <summary>
    /// OSS's limit on an object's user metadata: the names (with their prefix) and values of its <c>x-oss-meta-*</c>
    /// headers together, in UTF-8 bytes, must stay under this (help page 0011-00000002). Where OSS's pages differ
    /// ("cannot exceed 8 KB", "8 KB or more" fails), this takes the strict one: 8,192 bytes fail.
    /// </summary>
    public const int MaxMetadataBytes = 8 * 1024;

    private static readonly SearchValues<char> MetadataNameCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

    private static readonly SearchValues<char> BucketCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether a bucket name is 3-63 characters of <c>[a-z0-9-]</c>, not starting or ending with <c>-</c>.</summary>
    /// <param name="bucket">The bucket name.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidBucketName(string? bucket) =>
        bucket is { Length: >= 3 and <= 63 }
        && bucket[0] != '-' && bucket[^1] != '-'
        && !bucket.AsSpan().ContainsAnyExcept(BucketCharacters);

    /// <summary>
    /// Why a key is not valid, or null when it is: a key is 1-1023 UTF-8 bytes that do not start with <c>/</c> or
    /// <c>\</c> (OSS's object naming rules; OSS answers such a name with 400 InvalidObjectName).
    /// </summary>
    /// <param name="key">The object key.</param>
    /// <returns>A message that says what is wrong, or null.</returns>
    public static string? ValidateKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "The object key must not be empty.";
        }

        if (key[0] is '/' or '\\')
        {
            return $"The object key starts with '{key[0]}', which OSS does not allow: drop the leading '{key[0]}' (e.g. 'docs/a.txt', not '{key[0]}docs/a.txt').";
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            return "The object key is not valid Unicode (it has an unpaired surrogate).";
        }

        return bytes > MaxKeyBytes
            ? $"The object key is {bytes} UTF-8 bytes long; the limit is {MaxKeyBytes}."
            : null;
    }

    /// <summary>
    /// Whether a user metadata name, with or without its <c>x-oss-meta-</c> prefix, is one OSS accepts: letters, digits
    /// and <c>-</c> (help page 0011-00000004; OSS answers 400 to others, such as <c>file_type</c>).
    /// </summary>
    /// <param name="name">The name, e.g. <c>author</c> or <c>x-oss-meta-author</c>.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidMetadataName(string? name)
    {
        var bare = name is not null && name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name.AsSpan(MetadataPrefix.Length) : name;
        return !bare.IsEmpty && !bare.ContainsAnyExcept(MetadataNameCharacters);
    }

    /// <summary>
    /// Whether a header value is one the presigner signs and the uploader sends: visible ASCII, space and tab only. A
    /// control character cannot be sent in a header, and beyond ASCII no two clients agree on the bytes (the strict
    /// reading of RFC 9110, which HttpClient and browsers take too); the local server refuses to store other values.
    /// </summary>
    /// <param name="value">The value, e.g. of a user metadata header or of Content-Disposition.</param>
    /// <returns>True when valid; false for null.</returns>
    public static bool IsValidHeaderValue(string? value) => value is not null && HttpHeaderRules.IsValidValue(value);

    /// <summary>The bytes one metadata pair counts towards <see cref="MaxMetadataBytes"/>.</summary>
    /// <param name="name">The name, with or without its prefix.</param>
    /// <param name="value">The value.</param>
    /// <returns>The UTF-8 bytes of the prefixed name and of the value.</returns>
    public static int MetadataBytes(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        var prefix = name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? 0 : MetadataPrefix.Length;
        return prefix + Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> unless bucket and key are valid.</summary>
    /// <param name="bucket">The bucket name.</param>
    /// <param name="key">The object key.</param>
    public static void ThrowIfInvalid(string? bucket, string? key)
    {
        if (!IsValidBucketName(bucket))
        {
            throw new ArgumentException(
                $"Bucket name '{bucket}' is not valid: use 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.",
                nameof(bucket));
        }

        if (ValidateKey(key) is { } problem)
        {
            throw new ArgumentException(problem, nameof(key));
        }
    }
}
