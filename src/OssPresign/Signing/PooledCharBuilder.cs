using System.Buffers;

namespace OssPresign.Signing;

/// <summary>
/// A growable char buffer that starts in the caller's (usually stack) buffer and moves to an array rented from the
/// shared pool only when that is too small. Signing builds the canonical request and the string to sign in one of
/// these and hashes it in place, so the hot path allocates no intermediate strings (OSS-V4.md §1.4, §1.10).
/// </summary>
internal ref struct PooledCharBuilder
{
    private Span<char> _chars;
    private char[]? _rented;
    private int _length;

    /// <summary>Starts in <paramref name="initialBuffer"/>; a caller that stackallocs it skips a pool rent and return.</summary>
    public PooledCharBuilder(Span<char> initialBuffer)
    {
        _chars = initialBuffer;
        _rented = null;
        _length = 0;
    }

    public PooledCharBuilder(int initialCapacity)
    {
        _rented = ArrayPool<char>.Shared.Rent(initialCapacity);
        _chars = _rented;
        _length = 0;
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<char> Written => _chars[.._length];

    public void Append(char value)
    {
        if (_length == _chars.Length)
        {
            Grow(1);
        }

        _chars[_length++] = value;
    }

    public void Append(scoped ReadOnlySpan<char> value)
    {
        if (_length + value.Length > _chars.Length)
        {
            Grow(value.Length);
        }

        value.CopyTo(_chars[_length..]);
        _length += value.Length;
    }

    public Span<char> AppendSpan(int length)
    {
        if (_length + length > _chars.Length)
        {
            Grow(length);
        }

        var span = _chars.Slice(_length, length);
        _length += length;
        return span;
    }

    public override readonly string ToString() => new(Written);

    public void Dispose()
    {
        var toReturn = _rented;
        _chars = [];
        _rented = null;
        _length = 0;
        if (toReturn is not null)
        {
            ArrayPool<char>.Shared.Return(toReturn);
        }
    }

    private void Grow(int additional)
    {
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + additional));
        _chars[.._length].CopyTo(bigger);
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
        }

        _rented = bigger;
        _chars = bigger;
    }
}
