namespace OssPresign.Server.Storage;

/// <summary>
/// The CRC-64/XZ of two byte strings joined, from the CRC-64 of each and the second's length, without reading them:
/// CompleteMultipartUpload's <c>x-oss-hash-crc64ecma</c> from the CRC-64s its parts were received with.
/// </summary>
/// <remarks>
/// <see cref="System.IO.Hashing.Crc64"/> has no combine. This is zlib's <c>crc32_combine</c> (its 1.2.12 form, by
/// Mark Adler) over the 64-bit reflected ECMA-182 polynomial: appending n zero bytes to a message multiplies its CRC
/// by x^(8n) modulo the polynomial, and the init and final XOR of all ones cancel out between the two halves.
/// </remarks>
internal static class Crc64Combine
{
    /// <summary>The ECMA-182 polynomial 0x42F0E1EBA9EA3693, bit-reflected.</summary>
    private const ulong ReflectedPolynomial = 0xC96C5795D7870F42;

    /// <summary>x^0 in the reflected representation: the highest bit.</summary>
    private const ulong One = 1UL << 63;

    /// <summary>x^(2^k) modulo the polynomial, for every k that <see cref="PowerOfX"/> reaches with a length below 2^63.</summary>
    private static readonly ulong[] PowersOfX = CreatePowersOfX();

    /// <summary>The CRC-64/XZ of A followed by B.</summary>
    /// <param name="first">The CRC-64/XZ of A.</param>
    /// <param name="second">The CRC-64/XZ of B.</param>
    /// <param name="secondLength">The length of B in bytes.</param>
    /// <returns>The CRC-64/XZ of A followed by B.</returns>
    public static ulong Combine(ulong first, ulong second, long secondLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(secondLength);
        return Multiply(PowerOfX(secondLength, 3), first) ^ second;
    }

    /// <summary>a * b modulo the polynomial, both reflected.</summary>
    private static ulong Multiply(ulong a, ulong b)
    {
        var product = 0UL;
        for (var bit = One; bit != 0; bit >>= 1)
        {
            if ((a & bit) != 0)
            {
                product ^= b;
                if ((a & (bit - 1)) == 0)
                {
                    break;
                }
            }

            b = (b & 1) != 0 ? (b >> 1) ^ ReflectedPolynomial : b >> 1;
        }

        return product;
    }

    /// <summary>x^(n * 2^k) modulo the polynomial; k = 3 turns a count of bytes into one of bits.</summary>
    private static ulong PowerOfX(long n, int k)
    {
        var power = One;
        while (n != 0)
        {
            if ((n & 1) != 0)
            {
                power = Multiply(PowersOfX[k], power);
            }

            n >>= 1;
            k++;
        }

        return power;
    }

    private static ulong[] CreatePowersOfX()
    {
        var powers = new ulong[66];
        var power = One >> 1; // x^1
        for (var k = 0; k < powers.Length; k++)
        {
            powers[k] = power;
            power = Multiply(power, power);
        }

        return powers;
    }
}
