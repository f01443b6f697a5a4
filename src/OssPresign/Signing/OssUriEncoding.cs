using System.Buffers;
using System.Text;

namespace OssPresign.Signing;

/// <summary>
/// The two percent-encoders of OSS Signature V4. Both encode the UTF-8 bytes of the input with upper-case hex and
/// keep the RFC 3986 unreserved set <c>A-Z a-z 0-9 - . _ ~</c>; the path encoder also keeps <c>/</c>.
/// </summary>
/// <remarks>
/// The same encoders build the URL and the canonical request, and the server rebuilds the canonical request with
/// them from what it decoded, so issuer and verifier cannot disagree (OSS-V4.md §1.5, §1.6, §1.17).
/// </remarks>
public static class OssUriEncoding
{
    private static readonly SearchValues<char> Unreserved =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

    private static readonly SearchValues<char> UnreservedOrSlash =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/");

    /// <summary>Encodes an object key (or <c>/bucket/key</c>) for a URL path or canonical URI: <c>/</c> is kept.</summary>
    /// <param name="value">The raw, unencoded text.</param>
    /// <returns>The encoded text; the input itself when nothing needs encoding.</returns>
    public static string EncodePath(string value) => Encode(value, UnreservedOrSlash);

    /// <summary>Encodes a query parameter name or value: everything but the unreserved set, <c>/</c> included.</summary>
    /// <param name="value">The raw, unencoded text.</param>
    /// <returns>The encoded text; the input itself when nothing needs encoding.</returns>
    public static string EncodeQueryComponent(string value) => Encode(value, Unreserved);

    /// <summary>
    /// Decodes <c>%XY</c> escapes over UTF-8 without treating <c>+</c> as a space, which is how OSS reads paths and
    /// query components. Returns false on a truncated or non-hex escape, or bytes that are not valid UTF-8.
    /// </summary>
    /// <param name="value">The encoded text.</param>
    /// <param name="decoded">The decoded text.</param>
    /// <returns>Whether <paramref name="value"/> was well formed.</returns>
    public static bool TryDecode(ReadOnlySpan<char> value, out string decoded)
    {
        if (!value.Contains('%'))
        {
            decoded = new string(value);
            return true;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length));
        try
        {
            var length = 0;
            var i = 0;
            while (i < value.Length)
            {
                if (value[i] != '%')
                {
                    var next = value[i..].IndexOf('%');
                    var run = next < 0 ? value[i..] : value.Slice(i, next);
                    length += Encoding.UTF8.GetBytes(run, bytes.AsSpan(length));
                    i += run.Length;
                    continue;
                }

                if (i + 2 >= value.Length || !IsHex(value[i + 1]) || !IsHex(value[i + 2]))
                {
                    decoded = string.Empty;
                    return false;
                }

                bytes[length++] = (byte)((HexValue(value[i + 1]) << 4) | HexValue(value[i + 2]));
                i += 3;
            }

            try
            {
                decoded = StrictUtf8.GetString(bytes, 0, length);
                return true;
            }
            catch (DecoderFallbackException)
            {
                decoded = string.Empty;
                return false;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// Decodes a raw query string (without <c>?</c>) into name/value pairs in order, as OSS reads it: <c>k</c> and
    /// <c>k=</c> are the same parameter with an empty value (OSS-V4.md §1.6 rule 3), <c>+</c> is not a space.
    /// The one query decoder of the codebase: the server, <c>inspect</c> and the signing handler use it.
    /// </summary>
    /// <param name="encodedQuery">The raw query, e.g. <c>uploads&amp;x-oss-date=20231217T025437Z</c>.</param>
    /// <param name="parameters">The decoded parameters.</param>
    /// <param name="malformed">The first pair that could not be decoded, when the result is false.</param>
    /// <returns>Whether every name and value was well formed.</returns>
    public static bool TryDecodeQuery(string encodedQuery, out List<KeyValuePair<string, string>> parameters, out string? malformed)
    {
        ArgumentNullException.ThrowIfNull(encodedQuery);
        parameters = [];
        malformed = null;
        foreach (var pair in encodedQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var rawName = equals < 0 ? pair.AsSpan() : pair.AsSpan(0, equals);
            var rawValue = equals < 0 ? [] : pair.AsSpan(equals + 1);
            if (!TryDecode(rawName, out var name) || !TryDecode(rawValue, out var value))
            {
                malformed = pair;
                return false;
            }

            parameters.Add(new(name, value));
        }

        return true;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static void AppendPath(ref PooledCharBuilder builder, string value) => Append(ref builder, value, UnreservedOrSlash);

    internal static void AppendQueryComponent(ref PooledCharBuilder builder, string value) => Append(ref builder, value, Unreserved);

    private static string Encode(string value, SearchValues<char> keep)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.AsSpan().ContainsAnyExcept(keep))
        {
            return value;
        }

        var builder = new PooledCharBuilder(value.Length * 3);
        try
        {
            Append(ref builder, value, keep);
            return builder.ToString();
        }
        finally
        {
            builder.Dispose();
        }
    }

    private static void Append(ref PooledCharBuilder builder, string value, SearchValues<char> keep)
    {
        var remaining = value.AsSpan();
        while (!remaining.IsEmpty)
        {
            var plain = remaining.IndexOfAnyExcept(keep);
            if (plain < 0)
            {
                builder.Append(remaining);
                return;
            }

            builder.Append(remaining[..plain]);
            remaining = remaining[plain..];
            if (char.IsAscii(remaining[0]))
            {
                // The usual case ('/' in a credential, ' ' or '=' in a value): one byte, no transcoding.
                AppendEscaped(ref builder, (byte)remaining[0]);
                remaining = remaining[1..];
                continue;
            }

            // A run of non-ASCII characters, as UTF-8 bytes (a surrogate pair is one code point).
            var run = remaining.IndexOfAnyInRange('\0', '\x7F');
            var toEncode = run < 0 ? remaining : remaining[..run];
            AppendEscapedUtf8(ref builder, toEncode);
            remaining = run < 0 ? [] : remaining[run..];
        }
    }

    private static void AppendEscapedUtf8(ref PooledCharBuilder builder, ReadOnlySpan<char> toEncode)
    {
        Span<byte> utf8 = stackalloc byte[256];
        while (!toEncode.IsEmpty)
        {
            var chunk = toEncode.Length > 64 ? 64 : toEncode.Length;
            if (chunk < toEncode.Length && char.IsHighSurrogate(toEncode[chunk - 1]))
            {
                chunk--;
            }

            var count = Encoding.UTF8.GetBytes(toEncode[..chunk], utf8);
            foreach (var b in utf8[..count])
            {
                AppendEscaped(ref builder, b);
            }

            toEncode = toEncode[chunk..];
        }
    }

    private static void AppendEscaped(ref PooledCharBuilder builder, byte value)
    {
        var hex = builder.AppendSpan(3);
        hex[0] = '%';
        hex[1] = UpperHex[value >> 4];
        hex[2] = UpperHex[value & 0xF];
    }

    private const string UpperHex = "0123456789ABCDEF";

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
