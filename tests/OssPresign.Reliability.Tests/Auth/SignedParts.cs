using System.Text;

namespace OssPresign.Reliability.Tests.Auth;

/// <summary>
/// The oracle of the fuzz: what a signature covers, read from a request independently of the code under test (BCL
/// unescaping, plain string splitting), with the server's addressing rules: the bucket from a <c>bucket.localhost</c>
/// host or else the first path segment (split before decoding). A verifier may accept a mutated request only when
/// these parts are what they were.
/// </summary>
internal static class SignedParts
{
    /// <summary>Splits a URL as an HTTP client sends it: the fragment and surrounding whitespace are never sent.</summary>
    public static (string Authority, string Target) Split(string url)
    {
        var text = url.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var rest = schemeEnd < 0 ? text : text[(schemeEnd + 3)..];
        var fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        var pathStart = rest.IndexOfAny(['/', '?']);
        var authority = pathStart < 0 ? rest : rest[..pathStart];
        var target = pathStart < 0 ? "/" : rest[pathStart..];
        return (authority, target.StartsWith('/') ? target : "/" + target);
    }

    /// <summary>
    /// The host a request is sent with: its own Host header if it has one, else the URL's authority (which the HTTP
    /// fuzz sends as the Host header). Whitespace around a header value is not part of it (RFC 9110 §5.5), and HTTP
    /// servers drop it: kept, a tab before <c>bucket.localhost</c> made a different bucket here and the same one on
    /// the server.
    /// </summary>
    public static string Host(FuzzRequest request) =>
        (request.Headers.FirstOrDefault(h => h.Key.Equals("host", StringComparison.OrdinalIgnoreCase)).Value ?? Split(request.Url).Authority).Trim(' ', '\t');

    /// <summary>Method, bucket, key, every query parameter but the signature, and every signed header, as one string.</summary>
    /// <param name="request">The request.</param>
    /// <param name="withTarget">False to leave out the bucket and key (when the addressing style is not modelled).</param>
    public static string Of(FuzzRequest request, bool withTarget = true)
    {
        var (_, target) = Split(request.Url);
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        var query = question < 0 ? string.Empty : target[(question + 1)..];

        var host = Host(request);
        var hostName = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? host[..host.LastIndexOf(':')] : host;
        string bucket, key;
        if (hostName.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) && hostName.Length > ".localhost".Length)
        {
            bucket = hostName[..^".localhost".Length].ToLowerInvariant();
            key = Unescape(path[1..]);
        }
        else
        {
            var slash = path.IndexOf('/', 1);
            bucket = Unescape(slash < 0 ? path[1..] : path[1..slash]);
            key = slash < 0 ? string.Empty : Unescape(path[(slash + 1)..]);
        }

        var parameters = new List<(string Name, string Value)>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Unescape(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Unescape(pair[(equals + 1)..]);
            if (name != "x-oss-signature")
            {
                parameters.Add((name, value));
            }
        }

        parameters.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : string.CompareOrdinal(a.Value, b.Value));

        // Signed headers (OSS-V4.md §1.7): x-oss-*, content-type, content-md5, and those the request lists as additional.
        var additional = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in parameters.Where(p => p.Name == "x-oss-additional-headers"))
        {
            additional.UnionWith(value.Split(';').Select(n => n.Trim().ToLowerInvariant()));
        }

        // SP and HTAB around a header value are not part of it (RFC 9110 §5.5); HTTP servers drop them on arrival.
        var authorization = request.Headers.Where(h => h.Key.Equals("authorization", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value.Trim(' ', '\t')).ToList();
        foreach (var value in authorization)
        {
            var marker = value.IndexOf("AdditionalHeaders=", StringComparison.Ordinal);
            if (marker >= 0)
            {
                var list = value[(marker + "AdditionalHeaders=".Length)..];
                additional.UnionWith(list[..(list.IndexOf(',', StringComparison.Ordinal) is var comma and >= 0 ? comma : list.Length)].Split(';').Select(n => n.Trim().ToLowerInvariant()));
            }
        }

        // A repeated header is one comma-joined list whose empty elements count for nothing (RFC 9110 §5.3), as the
        // server's header collection reads it; a header whose only value is empty is still signed, as "name:".
        var signed = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Headers)
        {
            var lower = name.ToLowerInvariant();
            if (lower.StartsWith("x-oss-", StringComparison.Ordinal) || lower is "content-type" or "content-md5" || additional.Contains(lower))
            {
                if (!signed.TryGetValue(lower, out var values))
                {
                    signed[lower] = values = [];
                }

                values.Add(value.Trim(' ', '\t'));
            }
        }

        var text = new StringBuilder();
        text.Append(request.Method.ToUpperInvariant()).Append('\n');
        if (withTarget)
        {
            text.Append(E(bucket)).Append('\n').Append(E(key)).Append('\n');
        }

        foreach (var (name, value) in parameters)
        {
            text.Append(E(name)).Append('=').Append(E(value)).Append('&');
        }

        text.Append('\n');
        foreach (var (name, values) in signed)
        {
            text.Append(E(name)).Append(':').Append(E(string.Join(',', values.Where(v => v.Length > 0).Select(v => v.Trim())))).Append('\n');
        }

        // The Authorization header's own parts: the credential and signature as written, the additional-headers list
        // as a set of names (item case and surrounding spaces do not matter: the list names headers).
        foreach (var value in authorization)
        {
            var prefix = OssPresign.Signing.OssV4.Algorithm + " ";
            var elements = (value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : "\uFFFF" + value).Split(',').Select(p => p.Trim());
            text.Append("authorization:");
            foreach (var element in elements)
            {
                var listed = element.StartsWith("AdditionalHeaders=", StringComparison.Ordinal)
                    ? "AdditionalHeaders=" + string.Join(';', element["AdditionalHeaders=".Length..].Split(';').Select(n => n.Trim().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal))
                    : element;
                text.Append(E(listed)).Append(',');
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// %XY-decoding over strict UTF-8, '+' left as is; a malformed escape or invalid UTF-8 decodes to a marker that
    /// equals nothing a valid request decodes to (such a request must be refused).
    /// </summary>
    private static string Unescape(string value)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                var next = value.IndexOf('%', i);
                var run = next < 0 ? value[i..] : value[i..next];
                bytes.AddRange(Encoding.UTF8.GetBytes(run));
                i += run.Length - 1;
                continue;
            }

            if (i + 2 >= value.Length || !Uri.IsHexDigit(value[i + 1]) || !Uri.IsHexDigit(value[i + 2]))
            {
                return "\uFFFF malformed escape";
            }

            bytes.Add(Convert.FromHexString(value.AsSpan(i + 1, 2))[0]);
            i += 2;
        }

        try
        {
            return StrictUtf8.GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            return "\uFFFF invalid UTF-8";
        }
    }

    /// <summary>Escapes a field of the description, so that no two different sets of parts read the same.</summary>
    private static string E(string value) => Uri.EscapeDataString(value);
}
