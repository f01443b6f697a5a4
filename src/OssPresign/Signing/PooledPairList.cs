using System.Buffers;

namespace OssPresign.Signing;

/// <summary>
/// Name/value pairs in a reused array. The presign path collects a request's headers and parameters in these, and
/// the verifier its signed headers, so that signing allocates little besides the URL itself. Dispose gives the array
/// back.
/// </summary>
/// <remarks>
/// The first array of a list comes from a few spares kept per thread rather than from
/// <c>ArrayPool&lt;KeyValuePair&lt;string, string&gt;&gt;.Shared</c>: that pool's per-thread lookup runs through shared
/// generic code, and its rents and returns were ~5% of a presign that uses three lists. Longer lists still go to the
/// shared pool.
/// </remarks>
internal struct PooledPairList
{
    private const int SpareCapacity = 8;
    private const int SparesPerThread = 4;

    [ThreadStatic]
    private static KeyValuePair<string, string>[]?[]? t_spares;

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
            Release(_items, _count);
            _items = null;
            _count = 0;
        }
    }

    private void Grow()
    {
        if (_items is null)
        {
            _items = TakeSpare() ?? new KeyValuePair<string, string>[SpareCapacity];
            return;
        }

        var bigger = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(_items.Length * 2);
        _items.AsSpan(0, _count).CopyTo(bigger);
        Release(_items, _count);
        _items = bigger;
    }

    private static KeyValuePair<string, string>[]? TakeSpare()
    {
        var spares = t_spares;
        if (spares is null)
        {
            return null;
        }

        for (var i = 0; i < spares.Length; i++)
        {
            if (spares[i] is { } spare)
            {
                spares[i] = null;
                return spare;
            }
        }

        return null;
    }

    private static void Release(KeyValuePair<string, string>[] items, int count)
    {
        // Cleared so that neither the spares nor the pool keep header values and tokens alive.
        items.AsSpan(0, count).Clear();
        if (items.Length != SpareCapacity)
        {
            ArrayPool<KeyValuePair<string, string>>.Shared.Return(items);
            return;
        }

        var spares = t_spares ??= new KeyValuePair<string, string>[]?[SparesPerThread];
        for (var i = 0; i < spares.Length; i++)
        {
            if (spares[i] is null)
            {
                spares[i] = items;
                return;
            }
        }
    }
}
