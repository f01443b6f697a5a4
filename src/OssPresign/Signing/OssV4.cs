using System.Globalization;

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

    private const string DateTimeFormat = "yyyyMMdd'T'HHmmss'Z'";
    private const string DateFormat = "yyyyMMdd";

    /// <summary>Formats <c>yyyyMMdd'T'HHmmss'Z'</c> in UTC, e.g. <c>20231216T162057Z</c>.</summary>
    /// <param name="time">The instant.</param>
    /// <returns>The 16-character datetime.</returns>
    public static string FormatDateTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Formats <c>yyyyMMdd</c> in UTC, the date of a credential scope.</summary>
    /// <param name="time">The instant.</param>
    /// <returns>The 8-character date.</returns>
    public static string FormatDate(DateTimeOffset time) =>
        time.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses a <c>yyyyMMdd'T'HHmmss'Z'</c> datetime exactly.</summary>
    /// <param name="value">The text, e.g. the <c>x-oss-date</c> value.</param>
    /// <param name="time">The instant, in UTC.</param>
    /// <returns>Whether the text had exactly that format.</returns>
    public static bool TryParseDateTime(string? value, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(value, DateTimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>Parses a <c>yyyyMMdd</c> date exactly.</summary>
    /// <param name="value">The text, e.g. the date of a credential scope.</param>
    /// <returns>Whether the text is a real date in that format.</returns>
    public static bool IsValidDate(string? value) =>
        DateTime.TryParseExact(value, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
}
