using System.Buffers;

namespace OssPresign.Signing;

/// <summary>
/// Name/value pairs in an array rented from the shared pool. The presign path collects a request's headers and
/// parameters in these, so that signing allocates little besides the URL itself. Dispose returns the array.
/// </summary>
internal struct PooledPairList
{
    private KeyValuePair<string, string>[]? _items;
    private int _count;

    public readonly int Count => _count;

    public readonly Span<KeyValuePair<string, string>> Items => _items.AsSpan(0, _count);

    public void Add(string name, string value)
    {
        if (_items is null || _count == _items.Length)
        {
            Grow();
        }

        _items![_count++] = new(name, value);
    }

    public void Dispose()
    {
        if (_items is not null)
        {
            // Cleared so that the pool does not keep header values and tokens alive.
            ArrayPool<KeyValuePair<string, string>>.Shared.Return(_items, clearArray: true);
            _items = null;
            _count = 0;
        }
    }

    private void Grow()
    {
        var bigger = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(_items is null ? 8 : _items.Length * 2);
        if (_items is not null)
        {
            _items.AsSpan(0, _count).CopyTo(bigger);
            ArrayPool<KeyValuePair<string, string>>.Shared.Return(_items, clearArray: true);
        }

        _items = bigger;
    }
}
