using System.Buffers.Binary;

namespace OssPresign.Upload;

/// <summary>
/// The CRC-64 OSS answers in <c>x-oss-hash-crc64ecma</c> (OSS-V4.md §7): CRC-64/XZ, the ECMA-182 polynomial reflected,
/// initial value and final XOR all ones. Written out because the library takes no package (System.IO.Hashing has it
/// vectorized). Slicing-by-8 (eight tables, eight bytes per step): a table lookup per byte ran at ~0.4 GB/s here,
/// slower than an upload to the local server over loopback, on the uploader's own core.
/// </summary>
internal static class Crc64Xz
{
    /// <summary>The polynomial 0x42F0E1EBA9EA3693, bit-reversed for the reflected form.</summary>
    private const ulong ReflectedPolynomial = 0xC96C5795D7870F42;

    /// <summary>
    /// Eight tables of 256 entries, one after the other: table 0 is the CRC of one byte, and entry i of table k the CRC
    /// of byte i followed by k zero bytes, so eight bytes are folded in with eight independent lookups.
    /// </summary>
    private static readonly ulong[] Tables = CreateTables();

    /// <summary>The CRC of no bytes, to start from.</summary>
    public const ulong Empty = 0;

    /// <summary>The CRC of the bytes of <paramref name="crc"/> followed by <paramref name="bytes"/>.</summary>
    public static ulong Append(ulong crc, ReadOnlySpan<byte> bytes)
    {
        var tables = Tables.AsSpan();
        var state = ~crc;
        while (bytes.Length >= sizeof(ulong))
        {
            state ^= BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            state = tables[(7 * 256) + (int)(state & 0xFF)]
                ^ tables[(6 * 256) + (int)((state >> 8) & 0xFF)]
                ^ tables[(5 * 256) + (int)((state >> 16) & 0xFF)]
                ^ tables[(4 * 256) + (int)((state >> 24) & 0xFF)]
                ^ tables[(3 * 256) + (int)((state >> 32) & 0xFF)]
                ^ tables[(2 * 256) + (int)((state >> 40) & 0xFF)]
                ^ tables[256 + (int)((state >> 48) & 0xFF)]
                ^ tables[(int)(state >> 56)];
            bytes = bytes[sizeof(ulong)..];
        }

        foreach (var b in bytes)
        {
            state = tables[(int)((state ^ b) & 0xFF)] ^ (state >> 8);
        }

        return ~state;
    }

    private static ulong[] CreateTables()
    {
        var tables = new ulong[8 * 256];
        for (var i = 0; i < 256; i++)
        {
            var value = (ulong)i;
            for (var bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (value >> 1) ^ ReflectedPolynomial : value >> 1;
            }

            tables[i] = value;
        }

        for (var k = 1; k < 8; k++)
        {
            for (var i = 0; i < 256; i++)
            {
                var previous = tables[((k - 1) * 256) + i];
                tables[(k * 256) + i] = (previous >> 8) ^ tables[(int)(previous & 0xFF)];
            }
        }

        return tables;
    }
}
