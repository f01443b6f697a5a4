using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace OssPresign.Signing;

/// <summary>
/// SHA-256 and HMAC-SHA256 through the system OpenSSL's low-level <c>SHA256_Init/Update/Final</c> over a context the
/// caller owns (Linux, <c>libcrypto.so.3</c>); no hash algorithm of our own. HMAC follows RFC 2104 from the inner and
/// outer states after the padded key block, computed once per cached signing key, so an HMAC copies a state and
/// hashes only the message.
/// </summary>
/// <remarks>
/// Why: after the presign path stopped allocating, the two hashes were most of its cost. Measured on the 2-core
/// benchmark machine (SHA-NI): a reused <see cref="IncrementalHash"/> took 0.8-1.5 µs for the SHA-256 of a 300-byte
/// canonical request and 0.9-1.7 µs for the HMAC of a 160-byte string to sign (per-call EVP overhead of OpenSSL 3),
/// against 0.25-0.45 µs and 0.18-0.29 µs here; the goals are 2 µs per presign and 3 µs per verification.
/// <see cref="IsAvailable"/> is false on other systems, when the library or its symbols do not load, or when it fails
/// a known answer; <see cref="SigningHashes"/> then uses <see cref="ReusedHashes"/>.
/// </remarks>
internal static partial class OpenSslSha256
{
    private const string LibraryName = "libcrypto.so.3";

    /// <summary>
    /// Set to <c>1</c> to sign through the fallback even where libcrypto loads: an escape hatch, and how the known-answer
    /// tests are run on the fallback path (<c>OSSPRESIGN_DISABLE_OPENSSL_SHA256=1 dotnet test tests/OssPresign.Tests</c>).
    /// </summary>
    public const string DisableVariable = "OSSPRESIGN_DISABLE_OPENSSL_SHA256";

    /// <summary>Whether the native functions are loaded, agree with the BCL on a known answer, and are not disabled.</summary>
    public static bool IsAvailable { get; } =
        Environment.GetEnvironmentVariable(DisableVariable) != "1" && OperatingSystem.IsLinux() && HasExports() && PassesKnownAnswer();

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var context = default(Context);
        Check(SHA256_Init(ref context));
        Update(ref context, data);
        Check(SHA256_Final(destination, ref context));
    }

    /// <summary>The inner and outer states of HMAC-SHA256 with <paramref name="key"/> (RFC 2104 §2).</summary>
    public static HmacState CreateHmacState(ReadOnlySpan<byte> key)
    {
        Span<byte> block = stackalloc byte[BlockSize];
        Span<byte> padded = stackalloc byte[BlockSize];
        try
        {
            block.Clear();
            if (key.Length > BlockSize)
            {
                Hash(key, block);
            }
            else
            {
                key.CopyTo(block);
            }

            var state = default(HmacState);
            Pad(block, 0x36, padded);
            Check(SHA256_Init(ref state.Inner));
            Update(ref state.Inner, padded);
            Pad(block, 0x5c, padded);
            Check(SHA256_Init(ref state.Outer));
            Update(ref state.Outer, padded);
            return state;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(padded);
        }
    }

    /// <summary>HMAC-SHA256 = H((K ^ opad) || H((K ^ ipad) || message)), from the precomputed states.</summary>
    [SkipLocalsInit]
    public static void Hmac(in HmacState state, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> innerHash = stackalloc byte[SHA256.HashSizeInBytes];
        var context = state.Inner;
        Update(ref context, data);
        Check(SHA256_Final(innerHash, ref context));
        context = state.Outer;
        Update(ref context, innerHash);
        Check(SHA256_Final(destination, ref context));
    }

    private const int BlockSize = 64;

    private static void Pad(ReadOnlySpan<byte> block, byte pad, Span<byte> destination)
    {
        for (var i = 0; i < BlockSize; i++)
        {
            destination[i] = (byte)(block[i] ^ pad);
        }
    }

    private static void Update(ref Context context, ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty)
        {
            Check(SHA256_Update(ref context, data, (nuint)data.Length));
        }
    }

    private static void Check(int result)
    {
        if (result != 1)
        {
            throw new CryptographicException("libcrypto's SHA-256 reported a failure.");
        }
    }

    private static bool HasExports()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out var library))
        {
            return false;
        }

        return NativeLibrary.TryGetExport(library, nameof(SHA256_Init), out _)
            && NativeLibrary.TryGetExport(library, nameof(SHA256_Update), out _)
            && NativeLibrary.TryGetExport(library, nameof(SHA256_Final), out _);
    }

    private static bool PassesKnownAnswer()
    {
        // A wrong context layout or a broken library would show here, before any signature depends on it.
        try
        {
            ReadOnlySpan<byte> message = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog."u8;
            Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
            Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
            Hash(message, actual);
            SHA256.HashData(message, expected);
            var hmacState = CreateHmacState("key"u8);
            Span<byte> actualMac = stackalloc byte[SHA256.HashSizeInBytes];
            Span<byte> expectedMac = stackalloc byte[SHA256.HashSizeInBytes];
            Hmac(hmacState, message, actualMac);
            HMACSHA256.HashData("key"u8, message, expectedMac);
            return actual.SequenceEqual(expected) && actualMac.SequenceEqual(expectedMac);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CryptographicException)
        {
            return false;
        }
    }

    // SuppressGCTransition: these calls neither block, nor call back, nor take locks, and run for well under a
    // microsecond on what is signed (a canonical request of a few hundred bytes); a presign makes seven of them, and
    // the transitions were ~0.2 µs of its ~2 µs.
    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    private static partial int SHA256_Init(ref Context context);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    private static partial int SHA256_Update(ref Context context, ReadOnlySpan<byte> data, nuint length);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    private static partial int SHA256_Final(Span<byte> digest, ref Context context);

    /// <summary>The two states of an HMAC key; copied, never shared mutably, so one key serves every thread.</summary>
    internal struct HmacState
    {
        public Context Inner;
        public Context Outer;
    }

    /// <summary>
    /// <c>SHA256_CTX</c> of <c>openssl/sha.h</c>: <c>h[8], Nl, Nh, data[16], num, md_len</c>, 28 32-bit words. The
    /// same in OpenSSL 1.1 and 3; only OpenSSL touches the words.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Context
    {
        private ContextWords _words;
    }

    [InlineArray(28)]
    private struct ContextWords
    {
        private uint _word;
    }
}
