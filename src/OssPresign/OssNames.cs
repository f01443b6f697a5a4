using System.Buffers;
using System.Text;

namespace OssPresign;

/// <summary>The naming rules of OSS buckets and object keys, shared by the client and the local server.</summary>
public static class OssNames
{
    /// <summary>The longest object key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1023;

    private static readonly SearchValues<char> BucketCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether a bucket name is 3-63 characters of <c>[a-z0-9-]</c>, not starting or ending with <c>-</c>.</summary>
    /// <param name="bucket">The bucket name.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidBucketName(string? bucket) =>
        bucket is { Length: >= 3 and <= 63 }
        && bucket[0] != '-' && bucket[^1] != '-'
        && !bucket.AsSpan().ContainsAnyExcept(BucketCharacters);

    /// <summary>Why a key is not valid, or null when it is: a key is 1-1023 UTF-8 bytes of any characters.</summary>
    /// <param name="key">The object key.</param>
    /// <returns>A message that says what is wrong, or null.</returns>
    public static string? ValidateKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "The object key must not be empty.";
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
