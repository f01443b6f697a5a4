using System.Buffers;

namespace OssPresign.Signing;

/// <summary>
/// A growable char buffer rented from the shared pool. Signing builds the canonical request and the string to sign
/// in one of these and hashes it in place, so the hot path allocates no intermediate strings (OSS-V4.md §1.4, §1.10).
/// </summary>
internal ref struct PooledCharBuilder
{
    private char[] _buffer;
    private int _length;

    public PooledCharBuilder(int initialCapacity)
    {
        _buffer = ArrayPool<char>.Shared.Rent(initialCapacity);
        _length = 0;
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<char> Written => _buffer.AsSpan(0, _length);

    public void Append(char value)
    {
        if (_length == _buffer.Length)
        {
            Grow(1);
        }

        _buffer[_length++] = value;
    }

    public void Append(scoped ReadOnlySpan<char> value)
    {
        if (_length + value.Length > _buffer.Length)
        {
            Grow(value.Length);
        }

        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    public Span<char> AppendSpan(int length)
    {
        if (_length + length > _buffer.Length)
        {
            Grow(length);
        }

        var span = _buffer.AsSpan(_length, length);
        _length += length;
        return span;
    }

    public override readonly string ToString() => new(Written);

    public void Dispose()
    {
        var toReturn = _buffer;
        _buffer = [];
        _length = 0;
        if (toReturn.Length > 0)
        {
            ArrayPool<char>.Shared.Return(toReturn);
        }
    }

    private void Grow(int additional)
    {
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + additional));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<char>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
