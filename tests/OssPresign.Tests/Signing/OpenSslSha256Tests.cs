using System.Runtime.InteropServices;
using System.Security.Cryptography;
using OssPresign.Signing;

namespace OssPresign.Tests.Signing;

/// <summary>
/// Both hash paths of signing, the libcrypto binding and the <see cref="IncrementalHash"/> fallback, agree with the
/// BCL's SHA256 and HMACSHA256 on random keys and messages of every length class from 0 to 10,000 bytes. The
/// known-answer vectors of the other tests run on whichever path is in use; run the suite with
/// <c>OSSPRESIGN_DISABLE_OPENSSL_SHA256=1</c> to run them on the fallback.
/// </summary>
public sealed class OpenSslSha256Tests
{
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 300), 511, 512, 513, 1000, 1023, 1024, 1025, 4095, 4096, 4097, 9999, 10000];

    [Fact]
    public void IsAvailable_OnLinuxWithLibcrypto()
    {
        // The fallback is for systems without the library (or runs that disable it to test the fallback); where it
        // loads, the fast path must be the one in use.
        var loadable = OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libcrypto.so.3", out _);
        var disabled = Environment.GetEnvironmentVariable(OpenSslSha256.DisableVariable) == "1";
        Assert.Equal(loadable && !disabled, OpenSslSha256.IsAvailable);
    }

    [Fact]
    public void Hash_AgreesWithSha256()
    {
        if (!OpenSslSha256.IsAvailable)
        {
            return;
        }

        var random = new Random(1);
        foreach (var length in Lengths.Concat(RandomLengths(random)))
        {
            var message = RandomBytes(random, length);
            var actual = new byte[32];
            OpenSslSha256.Hash(message, actual);
            Assert.Equal(SHA256.HashData(message), actual);
        }
    }

    [Fact]
    public void Hmac_AgreesWithHmacSha256()
    {
        if (!OpenSslSha256.IsAvailable)
        {
            return;
        }

        var random = new Random(2);
        foreach (var length in Lengths.Concat(RandomLengths(random)))
        {
            // Keys shorter than, equal to and longer than the 64-byte block (a long key is hashed first, RFC 2104).
            var key = RandomBytes(random, random.Next(0, 3) switch { 0 => 32, 1 => 64, _ => random.Next(0, 200) });
            var message = RandomBytes(random, length);
            var state = OpenSslSha256.CreateHmacState(key);
            var actual = new byte[32];
            OpenSslSha256.Hmac(state, message, actual);
            Assert.Equal(HMACSHA256.HashData(key, message), actual);
        }
    }

    [Fact]
    public void Fallback_AgreesWithSha256AndHmacSha256()
    {
        var random = new Random(3);
        foreach (var length in Lengths.Concat(RandomLengths(random)))
        {
            var key = RandomBytes(random, random.Next(0, 2) == 0 ? 32 : random.Next(0, 200));
            var message = RandomBytes(random, length);
            var hash = new byte[32];
            var mac = new byte[32];
            ReusedHashes.Sha256(message, hash);
            ReusedHashes.HmacSha256(key, message, mac);
            Assert.Equal(SHA256.HashData(message), hash);
            Assert.Equal(HMACSHA256.HashData(key, message), mac);
        }
    }

    [Fact]
    public void SigningKey_HmacOnEitherPath_AgreesWithHmacSha256()
    {
        var random = new Random(4);
        var key = new SigningKey(RandomBytes(random, 32));
        foreach (var length in Lengths)
        {
            var message = RandomBytes(random, length);
            var actual = new byte[32];
            key.HmacSha256(message, actual);
            Assert.Equal(HMACSHA256.HashData(key.Bytes, message), actual);
        }
    }

    private static IEnumerable<int> RandomLengths(Random random) => Enumerable.Range(0, 200).Select(_ => random.Next(0, 10001));

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
