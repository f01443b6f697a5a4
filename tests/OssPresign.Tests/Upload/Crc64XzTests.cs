using System.IO.Hashing;
using System.Text;
using OssPresign.Upload;

namespace OssPresign.Tests.Upload;

public sealed class Crc64XzTests
{
    [Theory]
    [InlineData("", 0UL)]
    [InlineData("123456789", 11051210869376104954UL)]
    [InlineData("hello", 11177612005948864433UL)]
    public void Append_GivesTheKnownAnswersOfOssV4Section7(string text, ulong expected) =>
        Assert.Equal(expected, Crc64Xz.Append(Crc64Xz.Empty, Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Append_InPieces_IsTheCrcOfTheWhole()
    {
        var bytes = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 31)).ToArray();

        var inPieces = bytes.Chunk(777).Aggregate(Crc64Xz.Empty, (crc, piece) => Crc64Xz.Append(crc, piece));

        Assert.Equal(Crc64Xz.Append(Crc64Xz.Empty, bytes), inPieces);
    }

    [Fact]
    public void Append_MatchesSystemIoHashing_OnRandomBytesOfEveryLengthAndSplit()
    {
        // CRC-64/XZ as System.IO.Hashing defines it: the server's implementation, vectorized and independent of ours.
        var xz = Crc64ParameterSet.Create(0x42F0E1EBA9EA3693, ulong.MaxValue, ulong.MaxValue, reflectValues: true);
        var random = new Random(20261129);
        for (var length = 0; length < 600; length++)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var split = random.Next(0, length + 1);

            var whole = Crc64Xz.Append(Crc64Xz.Empty, bytes);
            var inTwo = Crc64Xz.Append(Crc64Xz.Append(Crc64Xz.Empty, bytes.AsSpan(0, split)), bytes.AsSpan(split));

            Assert.Equal(Crc64.HashToUInt64(xz, bytes), whole);
            Assert.Equal(whole, inTwo);
        }
    }
}
