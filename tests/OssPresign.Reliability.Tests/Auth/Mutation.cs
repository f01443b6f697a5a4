using System.Text;

namespace OssPresign.Reliability.Tests.Auth;

/// <summary>
/// One random edit of a presigned request: characters of the URL inserted, deleted, replaced, percent-encoded or
/// case-flipped; query pairs removed, duplicated or swapped; the method changed; headers removed, altered, added or
/// renamed. Positions and choices are taken modulo what exists, so every generated edit applies.
/// </summary>
internal readonly record struct Mutation(int Kind, int Position, int Choice)
{
    public const int Kinds = 15;

    /// <summary>Characters that matter to the parsers: separators, escapes, whitespace, case, non-ASCII, controls.</summary>
    private const string Interesting = "%&=/?#;+ .~*:@!,'()-_AaZz09Ff\u00e9\u4e2d\t\r\n\0\u007f";

    private static readonly string[] Methods = ["GET", "PUT", "HEAD", "POST", "DELETE", "put", "OPTIONS", "PATCH"];
    private static readonly string[] AddedHeaders = ["x-oss-meta-z", "content-type", "content-md5", "x-oss-date", "x-custom", "x-unsigned", "host"];
    private static readonly string[] Values = ["", " ", "1", "text/plain", "UNSIGNED-PAYLOAD", "\u00e9", "a,b", "x-custom"];

    public void Apply(FuzzRequest request)
    {
        var url = request.Url;
        var at = url.Length == 0 ? 0 : Position % url.Length;
        var pick = Interesting[Choice % Interesting.Length];
        var (position, choice) = (Position, Choice);
        switch (Kind)
        {
            case 0 when url.Length > 0:
                request.Url = url.Remove(at, 1);
                break;
            case 1:
                request.Url = url.Insert(at, pick.ToString());
                break;
            case 2 when url.Length > 0:
                request.Url = url[..at] + pick + url[(at + 1)..];
                break;
            case 3 when url.Length > 0 && url[at] < 0x80:
                // An equivalent or a different escape, depending on where it lands (e.g. in a path or a value: the same).
                request.Url = url[..at] + "%" + ((int)url[at]).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + url[(at + 1)..];
                break;
            case 4 when url.Length > 0:
                request.Url = url[..at] + (char.IsUpper(url[at]) ? char.ToLowerInvariant(url[at]) : char.ToUpperInvariant(url[at])) + url[(at + 1)..];
                break;
            case 5:
                EditQuery(request, pairs => pairs.RemoveAt(position % pairs.Count));
                break;
            case 6:
                EditQuery(request, pairs => pairs.Add(pairs[position % pairs.Count]));
                break;
            case 7:
                EditQuery(request, pairs => (pairs[0], pairs[position % pairs.Count]) = (pairs[position % pairs.Count], pairs[0]));
                break;
            case 8:
                EditQuery(request, pairs => pairs[position % pairs.Count] = pairs[position % pairs.Count].Insert(choice % (pairs[position % pairs.Count].Length + 1), pick.ToString()));
                break;
            case 9:
                request.Method = Methods[Choice % Methods.Length];
                break;
            case 10 when request.Headers.Count > 0:
                request.Headers.RemoveAt(Position % request.Headers.Count);
                break;
            case 11 when request.Headers.Count > 0:
                var index = Position % request.Headers.Count;
                var (name, value) = request.Headers[index];
                request.Headers[index] = new(name, value.Insert(Choice % (value.Length + 1), pick.ToString()));
                break;
            case 12:
                request.Headers.Add(new(AddedHeaders[Position % AddedHeaders.Length], Values[Choice % Values.Length]));
                break;
            case 13 when request.Headers.Count > 0:
                var renamed = Position % request.Headers.Count;
                request.Headers[renamed] = new(request.Headers[renamed].Key.ToUpperInvariant(), request.Headers[renamed].Value);
                break;
            case 14 when url.Length > 0:
                request.Url = url[..at];
                break;
            default:
                break;
        }
    }

    private static void EditQuery(FuzzRequest request, Action<List<string>> edit)
    {
        var question = request.Url.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return;
        }

        var pairs = request.Url[(question + 1)..].Split('&').ToList();
        edit(pairs);
        request.Url = request.Url[..(question + 1)] + string.Join('&', pairs);
    }

    public override string ToString() => $"{Kind}@{Position}/{Choice}";
}

/// <summary>A request being mutated: method, full URL and header lines.</summary>
internal sealed class FuzzRequest(string method, string url, List<KeyValuePair<string, string>> headers)
{
    public string Method { get; set; } = method;

    public string Url { get; set; } = url;

    public List<KeyValuePair<string, string>> Headers { get; } = headers;

    public override string ToString()
    {
        var text = new StringBuilder(Method).Append(' ').Append(Url);
        foreach (var (name, value) in Headers)
        {
            text.Append(" | ").Append(name).Append(": ").Append(value);
        }

        return text.ToString();
    }
}
