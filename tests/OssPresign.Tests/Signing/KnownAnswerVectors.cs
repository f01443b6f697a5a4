using Microsoft.Extensions.Time.Testing;
using OssPresign.Signing;

namespace OssPresign.Tests.Signing;

/// <summary>The shared inputs ("STD") of the official SDKs' V4 signer tests (OSS-V4.md §6.0).</summary>
internal static class KnownAnswerVectors
{
    public const string Bucket = "bucket";
    public const string Key = "1234+-/123/1.txt";

    public static FakeTimeProvider ClockAt(long unixSeconds) => new(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));

    public static Dictionary<string, string> Parameters() => new(StringComparer.Ordinal)
    {
        ["param1"] = "value1",
        ["+param1"] = "value3",
        ["|param1"] = "value4",
        ["+param2"] = "",
        ["|param2"] = "",
        ["param2"] = "",
    };

    public static Dictionary<string, string> Headers(string contentType) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["x-oss-head1"] = "value",
        ["abc"] = "value",
        ["ZAbc"] = "value",
        ["XYZ"] = "value",
        ["content-type"] = contentType,
    };

    /// <summary>The query parameters of a URL, decoded.</summary>
    public static Dictionary<string, string> QueryOf(string url)
    {
        var query = url[(url.IndexOf('?', StringComparison.Ordinal) + 1)..];
        return query.Split('&').Select(p => p.Split('=', 2)).ToDictionary(
            p => Decode(p[0]), p => p.Length > 1 ? Decode(p[1]) : "", StringComparer.Ordinal);

        static string Decode(string s) => OssUriEncoding.TryDecode(s, out var d) ? d : throw new FormatException(s);
    }
}
