using System.IO.Hashing;
using OssPresign.Server.Storage;

namespace OssPresign.Server.Tests.Storage;

public sealed class Crc64CombineTests
{
    private static ulong Crc(ReadOnlySpan<byte> data) => Crc64.HashToUInt64(ObjectStore.Crc64Xz, data);

    [Fact]
    public void Combine_OfEverySplit_IsTheCrcOfTheWhole()
    {
        var random = new Random(20261129);
        for (var round = 0; round < 200; round++)
        {
            var data = new byte[random.Next(0, 5000)];
            random.NextBytes(data);
            var split = random.Next(0, data.Length + 1);

            var combined = Crc64Combine.Combine(Crc(data.AsSpan(0, split)), Crc(data.AsSpan(split)), data.Length - split);

            Assert.Equal(Crc(data), combined);
        }
    }

    [Fact]
    public void Combine_OfManyParts_IsTheCrcOfTheWhole()
    {
        // As a completion joins parts: folded left, including empty ones and one of 1 MiB (a length with many bits).
        var random = new Random(7);
        var parts = new[] { 1 << 20, 0, 1, 100 * 1024, 4095, 0, 77 }.Select(n =>
        {
            var part = new byte[n];
            random.NextBytes(part);
            return part;
        }).ToList();

        var combined = parts.Aggregate(0UL, (crc, part) => Crc64Combine.Combine(crc, Crc(part), part.Length));

        Assert.Equal(Crc(parts.SelectMany(p => p).ToArray()), combined);
    }

    [Fact]
    public void Combine_KnownAnswer_OfTheCheckString()
    {
        // CRC-64/XZ's check value: the CRC of "123456789" is 0x995DC9BBDF1939FA.
        var whole = "123456789"u8;

        Assert.Equal(0x995DC9BBDF1939FAUL, Crc64Combine.Combine(Crc(whole[..4]), Crc(whole[4..]), 5));
    }
}
