using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using OssPresign.Endpoints;

namespace OssPresign.Cli;

/// <summary>
/// Options shared by several commands, and the parsers of the small value formats (<c>"K: V"</c>, <c>k=v</c>,
/// <c>10m</c>). A value that does not parse becomes a parse error, so every command reports it the same way: usage,
/// one line, exit code 2.
/// </summary>
internal static partial class CliOptions
{
    /// <summary><c>--header "K: V"</c>, repeatable.</summary>
    public static Option<List<KeyValuePair<string, string>>> Header(string description) => Pairs("--header", ':', "\"Name: value\"", description, "K: V", "-H");

    /// <summary><c>--meta k=v</c>, repeatable.</summary>
    public static Option<List<KeyValuePair<string, string>>> Meta() =>
        Pairs("--meta", '=', "key=value", "User metadata, sent as x-oss-meta-K: V and signed (repeatable).", "k=v");

    /// <summary>
    /// A repeatable option of name/value pairs. The format is checked by a validator, not the parser: a command
    /// validator reads the value, and a value whose parser failed would throw there instead of being reported.
    /// </summary>
    private static Option<List<KeyValuePair<string, string>>> Pairs(string name, char separator, string example, string description, string helpName, params string[] aliases)
    {
        var option = new Option<List<KeyValuePair<string, string>>>(name, aliases)
        {
            Description = description,
            HelpName = helpName,
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
            CustomParser = result => [.. result.Tokens.Select(t => Split(t.Value, separator)).OfType<KeyValuePair<string, string>>()],
        };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => Split(t.Value, separator) is null))
            {
                result.AddError($"{name} '{token.Value}' is not {example}.");
            }
        });
        return option;
    }

    /// <summary>
    /// Adds a check across a command's options that runs only once each of them parsed: an option given without its
    /// value, or twice where it takes one, already has its own parse error, and reading its value here would throw
    /// (which crashed the tool with a stack trace instead of a usage error).
    /// </summary>
    public static void AddCommandValidator(Command command, Action<CommandResult> validate) =>
        command.Validators.Add(result =>
        {
            if (!result.Children.OfType<OptionResult>().Any(HasWrongNumberOfValues))
            {
                try
                {
                    validate(result);
                }
                catch (InvalidOperationException)
                {
                    // A value that does not convert (--part-number abc): reading it throws, and System.CommandLine
                    // reports it on its own as a parse error naming the option.
                }
            }
        });

    // System.CommandLine reports the arity error itself, but only once the value is converted, after this check.
    private static bool HasWrongNumberOfValues(OptionResult option) =>
        !option.Implicit
        && (option.Tokens.Count < option.Option.Arity.MinimumNumberOfValues || option.Tokens.Count > option.Option.Arity.MaximumNumberOfValues);

    /// <summary>Why <paramref name="region"/> is not a region id (<c>cn-hangzhou</c>), or null when it is one.</summary>
    public static string? RegionProblem(string region)
    {
        try
        {
            _ = OssEndpoint.NormalizeRegion(region);
            return null;
        }
        catch (ArgumentException)
        {
            return $"--region '{region}' is not a region id: use the bare id in lower case, e.g. cn-hangzhou.";
        }
    }

    /// <summary>An absolute http or https URL argument.</summary>
    public static Argument<string> Url(string description, bool orFile = false)
    {
        var argument = new Argument<string>("url") { Description = description };
        argument.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (orFile && IsFileNotUrl(value))
            {
                return;
            }

            if (!orFile && IsFileNotUrl(value))
            {
                // E.g. the JSON of a multipart upload, which holds many URLs.
                result.AddError($"'{value}' is a file; give one presigned URL (from a multipart upload's JSON: jq -r '.parts[0].url' {value}).");
                return;
            }

            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError(orFile
                    ? $"'{value}' is neither an http or https URL nor a file. Quote the URL so the shell keeps the '&'s."
                    : $"'{value}' is not an http or https URL. Quote the URL so the shell keeps the '&'s.");
            }
        });
        return argument;
    }

    /// <summary>Whether <paramref name="value"/> names an existing file rather than being an http(s) URL.</summary>
    public static bool IsFileNotUrl(string? value) =>
        value is not null && !value.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        && !value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && File.Exists(value);

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

        // Summed in seconds as a double so that no amount can overflow; an absurdly long duration saturates at
        // TimeSpan.MaxValue and is then refused by the 7-day limit with that limit named, not as "not a duration".
        var seconds = 0d;
        foreach (Match part in DurationPart().Matches(text.Trim().ToLowerInvariant()))
        {
            var amount = double.Parse(part.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture);
            seconds += amount * part.Groups[2].Value switch
            {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => 86400,
            };
        }

        duration = seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
        return duration > TimeSpan.Zero;
    }

    /// <summary>
    /// Parses a size: bytes (<c>7340032</c>) or a whole number with a binary unit (<c>100KiB</c>, <c>900MiB</c>,
    /// <c>12GiB</c>; also <c>K</c>, <c>M</c>, <c>G</c>, which mean the same, as in split and dd). <c>KB</c>, <c>MB</c>
    /// and <c>GB</c> are refused: whether they mean 1000 or 1024 differs between tools, and a size that is off by a few
    /// percent makes an upload that the file does not fit. Up to 1 PiB.
    /// </summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text?.Trim() ?? string.Empty);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        var shift = char.ToUpperInvariant(match.Groups[2].Value.FirstOrDefault()) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            _ => 0,
        };
        if (amount > (1L << 50) >> shift)
        {
            return false;
        }

        bytes = amount << shift;
        return true;
    }

    /// <summary>Parses an ISO-8601 date and time; without an offset it is taken as UTC.</summary>
    public static bool TryParseInstant(string? text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out instant);

    /// <summary>Splits <c>"Name: value"</c> (or <c>k=v</c>); the value may be empty, the name may not. Null when malformed.</summary>
    private static KeyValuePair<string, string>? Split(string token, char separator)
    {
        var index = token.IndexOf(separator, StringComparison.Ordinal);
        var name = index < 0 ? string.Empty : token[..index].Trim();
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is ':' or '"' or '(' or ')' or ',' or ';' or '='))
        {
            return null;
        }

        return new(name, token[(index + 1)..].Trim());
    }

    [GeneratedRegex("^([0-9]+)(K|M|G|KiB|MiB|GiB|B)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();

    [GeneratedRegex("^([0-9]+[smhdSMHD])+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex("([0-9]+)([smhd])", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();
}
