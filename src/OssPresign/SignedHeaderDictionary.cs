using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace OssPresign;

/// <summary>
/// The signed headers of a <see cref="PresignResult"/>, looked up case-insensitively. An array searched in order:
/// a presign signs a handful of headers, and a hash table for them cost more than the rest of the result.
/// </summary>
internal sealed class SignedHeaderDictionary(KeyValuePair<string, string>[] headers) : IReadOnlyDictionary<string, string>
{
    public static readonly SignedHeaderDictionary Empty = new([]);

    public int Count => headers.Length;

    public IEnumerable<string> Keys => headers.Select(h => h.Key);

    public IEnumerable<string> Values => headers.Select(h => h.Value);

    public string this[string key] => TryGetValue(key, out var value)
        ? value
        : throw new KeyNotFoundException($"The header '{key}' is not among the signed headers.");

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var index = IndexOf(key);
        value = index >= 0 ? headers[index].Value : null;
        return index >= 0;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)headers).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (var i = 0; i < headers.Length; i++)
        {
            if (headers[i].Key.Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
