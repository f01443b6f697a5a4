using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using OssPresign.Signing;
using Spectre.Console;

namespace OssPresign.Cli;

/// <summary>How the commands write sizes, times and shell lines.</summary>
internal static partial class CliFormat
{
    /// <summary>Adds a label and a value as plain text: <c>AddRow(string, string)</c> would read them as markup, and a
    /// key, bucket or header value with <c>[</c> in it would break the output.</summary>
    public static Grid AddPlainRow(this Grid grid, string label, string value) => grid.AddRow(new Text(label), new Text(value));

    /// <summary>
    /// How the commands write and read JSON: camelCase, indented, URLs readable (no <c>\u0026</c> for <c>&amp;</c>); reading
    /// ignores the case of property names.
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new InstantConverter() },
    };

    /// <summary>
    /// <paramref name="text"/> (a canonical request) with the value of <c>x-oss-security-token</c>, as a query parameter or
    /// a header, shortened to its first 8 characters: with the secret an STS token signs anything, and a terminal or a CI
    /// log is read by more people than hold the URL. The rest of a line still diffs with the server's.
    /// </summary>
    public static string HideSecurityToken(string text) =>
        SecurityTokenValue().Replace(text, m => m.Value.Length <= 8 ? m.Value : $"{m.Value[..8]}...({m.Value.Length} characters not shown)");

    /// <summary>
    /// What shows that <paramref name="url"/> was cut short or mangled on its way (some of the signature's parameters
    /// missing, a signature that is not 64 hex digits), or null. An unquoted URL in a shell ends at its first <c>&amp;</c>.
    /// </summary>
    public static string? CutShort(string url)
    {
        var query = url.IndexOf('?', StringComparison.Ordinal) is var start and >= 0 ? url[(start + 1)..] : string.Empty;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&').Select(p => p.Split('=', 2)))
        {
            parameters.TryAdd(pair[0], pair.Length > 1 ? pair[1] : string.Empty);
        }

        string[] required =
        [
            PresignedQuery.SignatureVersionParameter, PresignedQuery.CredentialParameter, PresignedQuery.DateParameter,
            PresignedQuery.ExpiresParameter, PresignedQuery.SignatureParameter,
        ];
        var missing = required.Where(name => !parameters.ContainsKey(name)).ToList();
        if (missing.Count == required.Length)
        {
            // Not a V4 URL at all: the parser says what it is instead.
            return null;
        }

        const string quote = "Quote the whole URL ('...') so that the shell keeps what follows each '&', and copy all of it.";
        if (missing.Count > 0)
        {
            return $"The URL lacks {string.Join(", ", missing)}: it was cut short. {quote}";
        }

        var version = parameters[PresignedQuery.SignatureVersionParameter];
        if (version != OssV4.Algorithm && OssV4.Algorithm.StartsWith(version, StringComparison.Ordinal))
        {
            return $"x-oss-signature-version is '{version}', the start of {OssV4.Algorithm}: the URL was cut short. {quote}";
        }

        var signature = parameters[PresignedQuery.SignatureParameter];
        return signature.Length == 64 && signature.All(char.IsAsciiHexDigit)
            ? null
            : $"x-oss-signature is '{signature}', not 64 hex digits: the URL was cut short or changed. {quote}";
    }

    /// <summary>1536 → <c>1.5 KiB</c>.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>A UTC instant in ISO-8601 with seconds, e.g. <c>2026-11-28T10:40:46Z</c>.</summary>
    public static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A span as a person says it: <c>6 d 23 h</c>, <c>3 h</c>, <c>59 min</c>, <c>12 s</c>.</summary>
    public static string Span(TimeSpan span)
    {
        span = span.Duration();
        static string Part(long value, string unit) => string.Create(CultureInfo.InvariantCulture, $"{value} {unit}");
        if (span.TotalDays >= 1)
        {
            return span.Hours == 0 ? Part((long)span.TotalDays, "d") : $"{Part((long)span.TotalDays, "d")} {Part(span.Hours, "h")}";
        }

        if (span.TotalHours >= 1)
        {
            return span.Minutes == 0 ? Part((long)span.TotalHours, "h") : $"{Part((long)span.TotalHours, "h")} {Part(span.Minutes, "min")}";
        }

        return span.TotalMinutes >= 1 ? Part((long)span.TotalMinutes, "min") : Part((long)span.TotalSeconds, "s");
    }

    /// <summary><c>in 59 min</c> or <c>expired 3 h ago</c>, relative to <paramref name="now"/>.</summary>
    public static string TimeLeft(DateTimeOffset expiresOn, DateTimeOffset now) =>
        expiresOn > now ? $"in {Span(expiresOn - now)}" : $"expired {Span(now - expiresOn)} ago";

    /// <summary>
    /// An exception's message for a one-line error: an ArgumentException's ends in " (Parameter 'host')", a name from
    /// the code, not from the command line, so that part is dropped.
    /// </summary>
    public static string Message(Exception exception) =>
        exception is ArgumentException { ParamName: { } name }
            ? exception.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : exception.Message;

    /// <summary>Quotes a word for a POSIX shell: inside single quotes, with <c>'</c> written as <c>'\''</c>.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", @"'\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// A curl command that sends exactly <paramref name="headers"/> and nothing else that OSS signs: <c>-T</c> uploads
    /// without adding a Content-Type (unlike <c>--data-binary</c>), and <c>-H 'Name;'</c> is curl's form for an empty value.
    /// With <paramref name="sendsFile"/>, a POST sends <paramref name="file"/> as its body (CompleteMultipartUpload's part
    /// list).
    /// </summary>
    public static string CurlLine(string method, string url, IEnumerable<KeyValuePair<string, string>> headers, string file, bool sendsFile = false)
    {
        var line = new StringBuilder("curl");
        switch (method.ToUpperInvariant())
        {
            case "POST" when sendsFile:
                // --data-binary sends the file as it is; -d would strip its newlines. Both add a Content-Type of
                // application/x-www-form-urlencoded, which is signed when sent: drop it unless the URL signed one.
                line.Append(" --data-binary ").Append(ShellQuote("@" + file));
                if (!headers.Any(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
                {
                    line.Append(" -H ").Append(ShellQuote("Content-Type:"));
                }

                break;
            case "PUT":
                line.Append(" -T ").Append(ShellQuote(file));
                break;
            case "HEAD":
                line.Append(" -I");
                break;
            case "GET":
                line.Append(" -o ").Append(ShellQuote(file));
                break;
            default:
                line.Append(" -X ").Append(method.ToUpperInvariant());
                break;
        }

        foreach (var (name, value) in headers)
        {
            line.Append(" -H ").Append(ShellQuote(value.Length == 0 ? name + ";" : $"{name}: {value}"));
        }

        if (RequestTargetCurlWouldChange(method, url) is { } target)
        {
            line.Append(" --request-target ").Append(ShellQuote(target));
        }

        return line.Append(' ').Append(ShellQuote(url)).ToString();
    }

    /// <summary>
    /// The URL's path and query when curl would not send them as they are, or null: curl removes dot segments
    /// (<c>a/../b</c> becomes <c>b</c>), and <c>-T FILE</c> appends the file's name to a path ending in <c>/</c>. Either
    /// way the request is not the one signed (SignatureDoesNotMatch); <c>--request-target</c> sends it unchanged.
    /// </summary>
    private static string? RequestTargetCurlWouldChange(string method, string url)
    {
        // Read from the string, not through Uri, which removes dot segments itself.
        var pathStart = url.IndexOf('/', url.IndexOf("://", StringComparison.Ordinal) + 3);
        if (pathStart < 0)
        {
            return null;
        }

        var target = url[pathStart..];
        var path = target.Split('?', 2)[0];
        var dotSegments = path.Split('/').Any(segment => segment is "." or "..");
        var fileNameAppended = method.Equals("PUT", StringComparison.OrdinalIgnoreCase) && path.EndsWith('/');
        return dotSegments || fileNameAppended ? target : null;
    }

    /// <summary>Writes instants as <see cref="Instant"/> does (UTC, <c>Z</c>), as <c>presign --json</c> does; reads any ISO-8601.</summary>
    private sealed class InstantConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
                ? instant
                : throw new JsonException($"'{reader.GetString()}' is not an ISO-8601 time.");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(Instant(value));
    }

    [GeneratedRegex(@"(?<=x-oss-security-token[=:])[^&\s]+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SecurityTokenValue();
}
