namespace OssPresign.Upload;

/// <summary>
/// The CRC-64 OSS answers in <c>x-oss-hash-crc64ecma</c> (OSS-V4.md §7): CRC-64/XZ, the ECMA-182 polynomial reflected,
/// initial value and final XOR all ones. Written out because the library takes no package (System.IO.Hashing has it
/// vectorized); a table lookup per byte is far faster than the network an upload waits for.
/// </summary>
internal static class Crc64Xz
{
    /// <summary>The polynomial 0x42F0E1EBA9EA3693, bit-reversed for the reflected form.</summary>
    private const ulong ReflectedPolynomial = 0xC96C5795D7870F42;

    private static readonly ulong[] Table = CreateTable();

    /// <summary>The CRC of no bytes, to start from.</summary>
    public const ulong Empty = 0;

    /// <summary>The CRC of the bytes of <paramref name="crc"/> followed by <paramref name="bytes"/>.</summary>
    public static ulong Append(ulong crc, ReadOnlySpan<byte> bytes)
    {
        var state = ~crc;
        foreach (var b in bytes)
        {
            state = Table[(byte)(state ^ b)] ^ (state >> 8);
        }

        return ~state;
    }

    private static ulong[] CreateTable()
    {
        var table = new ulong[256];
        for (var i = 0; i < table.Length; i++)
        {
            var value = (ulong)i;
            for (var bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (value >> 1) ^ ReflectedPolynomial : value >> 1;
            }

            table[i] = value;
        }

        return table;
    }
}
