using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OssPresign.Cli;

/// <summary>
/// Options shared by several commands, and the parsers of the small value formats (<c>"K: V"</c>, <c>k=v</c>,
/// <c>10m</c>). A value that does not parse becomes a parse error, so every command reports it the same way: usage,
/// one line, exit code 2.
/// </summary>
internal static partial class CliOptions
{
    /// <summary><c>--header "K: V"</c>, repeatable.</summary>
    public static Option<List<KeyValuePair<string, string>>> Header(string description) => new("--header", "-H")
    {
        Description = description,
        HelpName = "K: V",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
        CustomParser = result => ParsePairs(result, ':', "--header", "\"Name: value\""),
    };

    /// <summary><c>--meta k=v</c>, repeatable.</summary>
    public static Option<List<KeyValuePair<string, string>>> Meta() => new("--meta")
    {
        Description = "User metadata, sent as x-oss-meta-K: V and signed (repeatable).",
        HelpName = "k=v",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
        CustomParser = result => ParsePairs(result, '=', "--meta", "key=value"),
    };

    /// <summary>An absolute http or https URL argument.</summary>
    public static Argument<string> Url(string description)
    {
        var argument = new Argument<string>("url") { Description = description };
        argument.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"'{value}' is not an http or https URL. Quote the URL so the shell keeps the '&'s.");
            }
        });
        return argument;
    }

    /// <summary>
    /// Parses a duration such as <c>30s</c>, <c>10m</c>, <c>1h</c>, <c>7d</c> or <c>1h30m</c>; a unit is required so
    /// that <c>10</c> cannot mean seconds to one reader and minutes to another.
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || !DurationPattern().IsMatch(text.Trim()))
        {
            return false;
        }

        foreach (Match part in DurationPart().Matches(text.Trim().ToLowerInvariant()))
        {
            if (!long.TryParse(part.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 100_000)
            {
                return false;
            }

            duration += part.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
        }

        return duration > TimeSpan.Zero;
    }

    /// <summary>Parses an ISO-8601 date and time; without an offset it is taken as UTC.</summary>
    public static bool TryParseInstant(string? text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out instant);

    /// <summary>Splits <c>"Name: value"</c> (or <c>k=v</c>) tokens; the value may be empty, the name may not.</summary>
    private static List<KeyValuePair<string, string>> ParsePairs(ArgumentResult result, char separator, string option, string example)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var token in result.Tokens)
        {
            var index = token.Value.IndexOf(separator, StringComparison.Ordinal);
            var name = index < 0 ? string.Empty : token.Value[..index].Trim();
            if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is ':' or '"' or '(' or ')' or ',' or ';' or '='))
            {
                result.AddError($"{option} '{token.Value}' is not {example}.");
                return pairs;
            }

            pairs.Add(new(name, token.Value[(index + 1)..].Trim()));
        }

        return pairs;
    }

    [GeneratedRegex("^([0-9]+[smhdSMHD])+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex("([0-9]+)([smhd])", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();
}
