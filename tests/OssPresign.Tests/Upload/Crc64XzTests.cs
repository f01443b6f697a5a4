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
}
