using System.Globalization;
using OssPresign.Signing;

namespace OssPresign.Tests.Signing;

/// <summary>
/// The hand-written date formatting and parsing of <see cref="OssV4"/> agree with the .NET format strings they replace,
/// on well-formed dates and on every near miss.
/// </summary>
public sealed class OssV4Tests
{
    private const string DateTimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    [Fact]
    public void FormatDateTime_MatchesTheFormatString()
    {
        var random = new Random(7);
        foreach (var time in SampleTimes(random, 2000))
        {
            Assert.Equal(time.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture), OssV4.FormatDateTime(time));
            Assert.Equal(time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture), OssV4.FormatDate(time));
        }
    }

    [Fact]
    public void FormatDateTime_NonUtcOffset_WritesUtc() =>
        Assert.Equal("20231216T162057Z", OssV4.FormatDateTime(new DateTimeOffset(2023, 12, 17, 0, 20, 57, TimeSpan.FromHours(8))));

    [Fact]
    public void TryParseDateTime_AgreesWithTryParseExact()
    {
        var random = new Random(11);
        foreach (var text in SampleTexts(random, DateTimeFormat, 20000))
        {
            var expected = DateTimeOffset.TryParseExact(text, DateTimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expectedTime);
            var actual = OssV4.TryParseDateTime(text, out var actualTime);
            Assert.True(expected == actual, $"'{text}': TryParseExact says {expected}, TryParseDateTime says {actual}");
            Assert.Equal(expectedTime, actualTime);
            Assert.Equal(TimeSpan.Zero, actualTime.Offset);
        }
    }

    [Fact]
    public void IsValidDate_AgreesWithTryParseExact()
    {
        var random = new Random(13);
        foreach (var text in SampleTexts(random, "yyyyMMdd", 20000))
        {
            var expected = DateTime.TryParseExact(text, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            Assert.True(expected == OssV4.IsValidDate(text), $"'{text}': TryParseExact says {expected}");
        }
    }

    [Theory]
    [InlineData("20240229T000000Z", true)]
    [InlineData("20230229T000000Z", false)]
    [InlineData("20231301T000000Z", false)]
    [InlineData("20231200T000000Z", false)]
    [InlineData("20231231T235959Z", true)]
    [InlineData("20231231T240000Z", false)]
    [InlineData("20231231T236000Z", false)]
    [InlineData("20231231T235960Z", false)]
    [InlineData("00001231T000000Z", false)]
    [InlineData("20231231t000000Z", false)]
    [InlineData("20231231T000000z", false)]
    [InlineData(" 20231231T000000Z", false)]
    [InlineData("20231231T000000Z ", false)]
    [InlineData("2023123T000000Z", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void TryParseDateTime_EdgeCases(string? text, bool valid) => Assert.Equal(valid, OssV4.TryParseDateTime(text, out _));

    private static IEnumerable<DateTimeOffset> SampleTimes(Random random, int count)
    {
        yield return DateTimeOffset.MinValue;
        yield return DateTimeOffset.MaxValue;
        for (var i = 0; i < count; i++)
        {
            yield return new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero);
        }
    }

    /// <summary>Well-formed texts, and the same with one character replaced, inserted or removed.</summary>
    private static IEnumerable<string> SampleTexts(Random random, string format, int count)
    {
        const string Alphabet = "0123456789TZtz -+:/０١";
        foreach (var time in SampleTimes(random, count))
        {
            var text = time.UtcDateTime.ToString(format, CultureInfo.InvariantCulture);
            yield return text;
            var position = random.Next(text.Length);
            var replacement = Alphabet[random.Next(Alphabet.Length)];
            yield return string.Concat(text.AsSpan(0, position), new ReadOnlySpan<char>(in replacement), text.AsSpan(position + 1));
            yield return text.Insert(position, replacement.ToString());
            yield return text.Remove(position, 1);
        }
    }
}
