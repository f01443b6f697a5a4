using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace OssPresign.Server;

/// <summary>
/// The buffers of Kestrel's connections, in blocks of <see cref="BlockSize"/> instead of Kestrel's 4 KiB.
/// </summary>
/// <remarks>
/// The socket transport receives into one block at a time, so its block size is the most one <c>recv</c> returns. With
/// 4 KiB blocks a 1 GiB upload took 262,144 receives, and receiving was 27% of the server's CPU; with 64 KiB blocks
/// the server spent 3.3 instead of 4.2 CPU seconds per GiB (docs/benchmarks.md). Kestrel takes the pool from
/// <see cref="IMemoryPoolFactory{T}"/> in the service container, which is the supported way to replace it.
/// <para>
/// Blocks are pinned arrays (on the pinned object heap: sockets pin the memory they receive into, which then costs
/// nothing). At most <c>maxIdle</c> idle blocks are kept; others go to the GC, so the pool never holds more than a
/// bounded amount of memory beyond what connections are using.
/// </para>
/// </remarks>
/// <param name="maxIdle">The most idle blocks kept for reuse.</param>
internal sealed class ConnectionMemoryPool(int maxIdle) : MemoryPool<byte>
{
    /// <summary>The size of every block.</summary>
    public const int BlockSize = 64 * 1024;

    private readonly ConcurrentQueue<Block> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    /// <inheritdoc />
    public override int MaxBufferSize => BlockSize;

    /// <summary>The number of idle blocks kept for reuse.</summary>
    public int IdleCount => Volatile.Read(ref _idleCount);

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minBufferSize"/> is larger than <see cref="BlockSize"/>.</exception>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_idle.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _idleCount);
        }
        else
        {
            block = new Block(this);
        }

        block.Lease();
        return block;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Blocks still rented are dropped when they come back.
        _disposed = true;
        _idle.Clear();
        Volatile.Write(ref _idleCount, 0);
    }

    private void Return(Block block)
    {
        if (!_disposed && Interlocked.Increment(ref _idleCount) <= maxIdle)
        {
            _idle.Enqueue(block);
        }
        else if (!_disposed)
        {
            Interlocked.Decrement(ref _idleCount);
        }
    }

    /// <summary>One block; disposing it gives it back, once.</summary>
    private sealed class Block(ConnectionMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        private int _leased;

        public Memory<byte> Memory => Volatile.Read(ref _leased) == 1 ? _array : throw new ObjectDisposedException(nameof(ConnectionMemoryPool));

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            // A second Dispose must not put the block in the pool twice, where two connections would share it.
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }

    /// <summary>Creates a pool per Kestrel I/O queue.</summary>
    /// <param name="maxIdlePerPool">The most idle blocks each pool keeps.</param>
    internal sealed class Factory(int maxIdlePerPool) : IMemoryPoolFactory<byte>
    {
        /// <inheritdoc />
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new ConnectionMemoryPool(maxIdlePerPool);
    }
}
