using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace OssPresign.Server.Tests;

public sealed class ConnectionMemoryPoolTests
{
    [Fact]
    public void Rent_GivesAWholeBlock_WhateverTheSizeAskedFor()
    {
        using var pool = new ConnectionMemoryPool(maxIdle: 4);

        using var small = pool.Rent(1);
        using var unspecified = pool.Rent();
        using var full = pool.Rent(ConnectionMemoryPool.BlockSize);

        Assert.All(new[] { small, unspecified, full }, block => Assert.Equal(ConnectionMemoryPool.BlockSize, block.Memory.Length));
        Assert.Equal(ConnectionMemoryPool.BlockSize, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(ConnectionMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void AReturnedBlock_IsUnusableUntilRentedAgain_ThenReused()
    {
        using var pool = new ConnectionMemoryPool(maxIdle: 4);
        var first = pool.Rent();
        var array = ArrayOf(first);

        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Memory);
        using var second = pool.Rent();

        Assert.Same(array, ArrayOf(second));
    }

    [Fact]
    public void DisposingTwice_ReturnsTheBlockOnce()
    {
        using var pool = new ConnectionMemoryPool(maxIdle: 4);
        var block = pool.Rent();

        block.Dispose();
        block.Dispose();
        using var a = pool.Rent();
        using var b = pool.Rent();

        // Had the block gone into the pool twice, two renters would share its memory.
        Assert.Equal(0, pool.IdleCount);
        Assert.NotSame(ArrayOf(a), ArrayOf(b));
    }

    [Fact]
    public void IdleBlocks_AreBounded()
    {
        using var pool = new ConnectionMemoryPool(maxIdle: 3);
        var rented = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();

        rented.ForEach(block => block.Dispose());

        Assert.Equal(3, pool.IdleCount);
    }

    [Fact]
    public void BlocksReturnedAfterTheDispose_AreDropped()
    {
        var pool = new ConnectionMemoryPool(maxIdle: 3);
        var block = pool.Rent();
        pool.Rent().Dispose();

        pool.Dispose();
        block.Dispose();

        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public async Task TheServer_ReceivesThroughThePool_AndStoresABodyLargerThanManyBlocks()
    {
        await using var t = await TestServer.StartAsync();
        var body = TestServer.RandomBytes((5 * ConnectionMemoryPool.BlockSize) + 17);

        // Kestrel's socket transport takes its pools from this factory.
        Assert.IsType<ConnectionMemoryPool.Factory>(t.Server.App.Services.GetRequiredService<IMemoryPoolFactory<byte>>());

        using var put = await t.PutAsync("examplebucket", "blocks.bin", body);
        using var get = await t.GetAsync("examplebucket", "blocks.bin");

        Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    private static byte[] ArrayOf(System.Buffers.IMemoryOwner<byte> block) =>
        MemoryMarshal.TryGetArray<byte>(block.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("Not an array.");
}
