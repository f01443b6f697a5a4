using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace OssPresign.Server.Storage;

/// <summary>
/// Upload buffers whose memory starts on a <see cref="DirectWrites.Alignment"/> boundary, as direct writes require.
/// Pinned arrays (on the pinned object heap, so their address never moves), kept for reuse up to a bound per size.
/// </summary>
internal sealed class AlignedBufferPool(int size, int maxIdle)
{
    private readonly ConcurrentBag<AlignedBuffer> _idle = [];
    private int _idleCount;

    /// <summary>The size of every buffer of this pool.</summary>
    public int Size { get; } = size;

    /// <summary>An idle buffer, or a new one.</summary>
    public AlignedBuffer Rent()
    {
        if (_idle.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref _idleCount);
            return buffer;
        }

        return new AlignedBuffer(Size);
    }

    /// <summary>Gives a buffer back; beyond the bound it is left to the GC.</summary>
    public void Return(AlignedBuffer buffer)
    {
        if (Interlocked.Increment(ref _idleCount) <= maxIdle)
        {
            _idle.Add(buffer);
        }
        else
        {
            Interlocked.Decrement(ref _idleCount);
        }
    }
}

/// <summary>A pinned array and the aligned window of it that is used.</summary>
internal sealed class AlignedBuffer
{
    private readonly byte[] _array;
    private readonly int _start;

    public AlignedBuffer(int size)
    {
        _array = GC.AllocateUninitializedArray<byte>(size + DirectWrites.Alignment, pinned: true);
        _start = AlignmentOffset(_array);
        Length = size;
    }

    /// <summary>The usable size.</summary>
    public int Length { get; }

    /// <summary>The aligned window.</summary>
    public Memory<byte> Memory => _array.AsMemory(_start, Length);

    /// <summary>The aligned window.</summary>
    public Span<byte> Span => _array.AsSpan(_start, Length);

    private static int AlignmentOffset(byte[] pinned)
    {
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
        return (int)((DirectWrites.Alignment - (address % DirectWrites.Alignment)) % DirectWrites.Alignment);
    }
}
