using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace OssPresign.Signing;

/// <summary>
/// The two hashes of signing, over UTF-8 text: the SHA-256 of the canonical request as lower-case hex, and the
/// HMAC-SHA256 of the string to sign as its 32 bytes (OSS-V4.md §1.10, §1.11). Through <see cref="OpenSslSha256"/>
/// where it is available, else through <see cref="ReusedHashes"/>.
/// </summary>
/// <remarks>Stack buffers are not zeroed: each is written before it is read, and zeroing 1 KiB showed in the profile.</remarks>
[SkipLocalsInit]
internal static class SigningHashes
{
    private const int StackUtf8Bytes = 1024;

    /// <summary>Writes the hex SHA-256 of the UTF-8 <paramref name="text"/> (64 chars).</summary>
    public static void Sha256Hex(ReadOnlySpan<char> text, Span<char> destination)
    {
        byte[]? rented = null;
        try
        {
            var utf8 = EncodeUtf8(text, stackalloc byte[StackUtf8Bytes], ref rented);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            if (OpenSslSha256.IsAvailable)
            {
                OpenSslSha256.Hash(utf8, hash);
            }
            else
            {
                ReusedHashes.Sha256(utf8, hash);
            }

            Convert.TryToHexStringLower(hash, destination, out _);
        }
        finally
        {
            Return(rented);
        }
    }

    /// <summary>Writes the HMAC-SHA256 of the UTF-8 <paramref name="text"/> (32 bytes) keyed with <paramref name="key"/>.</summary>
    public static void HmacSha256(SigningKey key, ReadOnlySpan<char> text, Span<byte> destination)
    {
        byte[]? rented = null;
        try
        {
            var utf8 = EncodeUtf8(text, stackalloc byte[StackUtf8Bytes], ref rented);
            key.HmacSha256(utf8, destination);
        }
        finally
        {
            Return(rented);
        }
    }

    private static ReadOnlySpan<byte> EncodeUtf8(ReadOnlySpan<char> text, Span<byte> stackBuffer, ref byte[]? rented)
    {
        // The worst case (3 bytes per char) would send any text over 340 chars to the pool; the text is ASCII but for
        // an odd key or header value, so try the stack first.
        if (Encoding.UTF8.TryGetBytes(text, stackBuffer, out var written))
        {
            return stackBuffer[..written];
        }

        rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        return rented.AsSpan(0, Encoding.UTF8.GetBytes(text, rented));
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
