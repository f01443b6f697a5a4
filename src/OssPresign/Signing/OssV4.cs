namespace OssPresign.Signing;

/// <summary>The constants and time formats of OSS Signature V4 (OSS-V4.md §1.2, §1.3, §1.13).</summary>
public static class OssV4
{
    /// <summary>The algorithm name: first line of the string to sign, prefix of the Authorization header.</summary>
    public const string Algorithm = "OSS4-HMAC-SHA256";

    /// <summary>The hashed-payload value the SDKs always use (OSS-V4.md §1.9).</summary>
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    /// <summary>The last element of a credential scope.</summary>
    public const string ScopeTerminator = "aliyun_v4_request";

    /// <summary>The product of ordinary OSS (CloudBox uses <c>oss-cloudbox</c>).</summary>
    public const string DefaultProduct = "oss";

    /// <summary>The longest validity of a presigned URL: 604800 seconds, seven days.</summary>
    public const int MaxExpiresSeconds = 604800;

    /// <summary>The default validity of a presigned URL: 15 minutes, as in every official SDK.</summary>
    public static readonly TimeSpan DefaultExpires = TimeSpan.FromMinutes(15);

    /// <summary>The length of a <c>yyyyMMdd'T'HHmmss'Z'</c> datetime.</summary>
    internal const int DateTimeLength = 16;

    private const int DateLength = 8;

    /// <summary>Formats <c>yyyyMMdd'T'HHmmss'Z'</c> in UTC, e.g. <c>20231216T162057Z</c>.</summary>
    /// <param name="time">The instant.</param>
    /// <returns>The 16-character datetime.</returns>
    public static string FormatDateTime(DateTimeOffset time) =>
        string.Create(DateTimeLength, time, static (destination, t) => WriteDateTime(t, destination));

    /// <summary>Formats <c>yyyyMMdd</c> in UTC, the date of a credential scope.</summary>
    /// <param name="time">The instant.</param>
    /// <returns>The 8-character date.</returns>
    public static string FormatDate(DateTimeOffset time) =>
        string.Create(DateLength, time, static (destination, t) => WriteDate(t.UtcDateTime, destination));

    /// <summary>Parses a <c>yyyyMMdd'T'HHmmss'Z'</c> datetime exactly.</summary>
    /// <param name="value">The text, e.g. the <c>x-oss-date</c> value.</param>
    /// <param name="time">The instant, in UTC.</param>
    /// <returns>Whether the text had exactly that format.</returns>
    public static bool TryParseDateTime(string? value, out DateTimeOffset time)
    {
        time = default;
        if (value is not { Length: DateTimeLength } || value[DateLength] != 'T' || value[DateTimeLength - 1] != 'Z'
            || !TryParseDate(value.AsSpan(0, DateLength), out var date)
            || !TryReadDigits(value.AsSpan(9, 2), out var hour) || hour > 23
            || !TryReadDigits(value.AsSpan(11, 2), out var minute) || minute > 59
            || !TryReadDigits(value.AsSpan(13, 2), out var second) || second > 59)
        {
            return false;
        }

        time = new DateTimeOffset(date.Ticks + (((hour * 3600L) + (minute * 60L) + second) * TimeSpan.TicksPerSecond), TimeSpan.Zero);
        return true;
    }

    /// <summary>Parses a <c>yyyyMMdd</c> date exactly.</summary>
    /// <param name="value">The text, e.g. the date of a credential scope.</param>
    /// <returns>Whether the text is a real date in that format.</returns>
    public static bool IsValidDate(string? value) => value is not null && TryParseDate(value, out _);

    /// <summary>Writes <c>yyyyMMdd'T'HHmmss'Z'</c> of <paramref name="time"/> in UTC into 16 chars.</summary>
    internal static void WriteDateTime(DateTimeOffset time, Span<char> destination)
    {
        // By hand rather than with a custom format string, which costs more than a hash on the presign path.
        var utc = time.UtcDateTime;
        WriteDate(utc, destination);
        destination[DateLength] = 'T';
        WriteTwoDigits(utc.Hour, destination[9..]);
        WriteTwoDigits(utc.Minute, destination[11..]);
        WriteTwoDigits(utc.Second, destination[13..]);
        destination[DateTimeLength - 1] = 'Z';
    }

    private static void WriteDate(DateTime utc, Span<char> destination)
    {
        WriteTwoDigits(utc.Year / 100, destination);
        WriteTwoDigits(utc.Year % 100, destination[2..]);
        WriteTwoDigits(utc.Month, destination[4..]);
        WriteTwoDigits(utc.Day, destination[6..]);
    }

    private static void WriteTwoDigits(int value, Span<char> destination)
    {
        destination[0] = (char)('0' + (value / 10));
        destination[1] = (char)('0' + (value % 10));
    }

    private static bool TryParseDate(ReadOnlySpan<char> value, out DateTime date)
    {
        date = default;
        if (value.Length != DateLength
            || !TryReadDigits(value[..4], out var year) || year < 1
            || !TryReadDigits(value[4..6], out var month) || month is < 1 or > 12
            || !TryReadDigits(value[6..], out var day) || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
        return true;
    }

    private static bool TryReadDigits(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
