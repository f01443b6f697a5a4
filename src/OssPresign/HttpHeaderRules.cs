using System.Buffers;
using System.Text;

namespace OssPresign;

/// <summary>
/// What a request header may hold to be sent at all, checked by the presigner before it signs a header and by the
/// uploader before it sends one: a header refused here could only fail later, or be sent as something else.
/// </summary>
internal static class HttpHeaderRules
{
    /// <summary>The characters of an HTTP token (RFC 9110 §5.6.2 <c>tchar</c>), which a header name is made of.</summary>
    private static readonly SearchValues<char> TokenCharacters =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>
    /// The characters a header value may hold: visible ASCII, space and tab (RFC 9110 §5.5).
    /// </summary>
    /// <remarks>
    /// RFC 9110 also lets a value carry bytes 0x80-0xFF (obs-text), but as opaque bytes of no defined charset. This takes
    /// the strict reading, ASCII only, OSS user metadata included: HttpClient refuses a non-ASCII request header
    /// ("Request headers must contain only ASCII characters") and so do browsers' fetch(), so a URL signed for such a
    /// value could not be used by them; and no two clients would agree on the bytes the signature was computed over.
    /// </remarks>
    private static readonly SearchValues<char> ValueCharacters = SearchValues.Create(
        "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>Whether a header value holds only what <see cref="ValueCharacters"/> allows.</summary>
    /// <param name="value">The header value.</param>
    /// <returns>True when every client can send it and read it back alike.</returns>
    public static bool IsValidValue(ReadOnlySpan<char> value) => !value.ContainsAnyExcept(ValueCharacters);

    /// <summary>Why a header cannot be sent, or null when it can.</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The header value.</param>
    /// <param name="where">How the caller gave the header (e.g. <c>Metadata["title"]</c>), for the message; or null.</param>
    /// <returns>A message that names the header (never its value) and says what to do, or null.</returns>
    public static string? Problem(string name, string value, string? where)
    {
        if (name.Length == 0 || name.AsSpan().ContainsAnyExcept(TokenCharacters))
        {
            return $"Header name '{name}'{At(where)} is not valid: a header name is an HTTP token, made of letters, digits and " +
                "!#$%&'*+-.^_`|~, without spaces, ':' or control characters.";
        }

        var index = value.AsSpan().IndexOfAnyExcept(ValueCharacters);
        if (index < 0)
        {
            return null;
        }

        // The code point, not the character: the value may be a secret (a callback, a key), so it is never shown.
        Rune.DecodeFromUtf16(value.AsSpan(index), out var rune, out _);
        return rune.IsAscii
            ? $"The value of header '{name}'{At(where)} has a control character (U+{rune.Value:X4}) at index {index}: CR, LF and the other " +
              "control characters cannot be sent in a header (CR and LF would end it and start another). Remove it."
            : $"The value of header '{name}'{At(where)} has a non-ASCII character (U+{rune.Value:X4}) at index {index}, and header values " +
              "must be ASCII: encode the value (e.g. URL-encode or Base64-encode it) and decode it where it is read.";

        static string At(string? where) => where is null ? string.Empty : $" ({where})";
    }
}
