using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace OssPresign.Server.Storage;

/// <summary>
/// Buckets and objects: metadata in SQLite (WAL); bodies under 64 KiB in SQLite too (table <c>bodies</c>), larger
/// ones as files named by generated ids under <c>objects/</c>.
/// </summary>
/// <remarks>
/// A PutObject of a larger body streams it to <c>tmp/</c> while computing MD5 and CRC-64, fsyncs it, renames it into
/// <c>objects/</c> under a fresh id, fsyncs the folder it now lies in (so the rename survives a power cut too) and
/// then commits the row in one SQLite transaction. So an object is visible only when complete; a crash before the
/// commit leaves a temp file or an unreferenced body, and both are deleted on the next start. A body shorter than the
/// first read (<see cref="FirstChunkSize"/>) is written into SQLite by the same commit as its row, which makes it
/// durable with the row: one WAL fsync per commit batch instead of a file create, an fsync and a rename per object,
/// which is what capped small PUTs (docs/benchmarks.md). Commits are serialized, so concurrent PUTs of one key leave
/// exactly one whole winner (the last to commit) and its loser's body is deleted. No key ever becomes part of a path.
/// <para>
/// Object commits are grouped: one committer thread takes every PutObject waiting to commit and writes them in one
/// transaction, so concurrent uploads share one WAL fsync instead of queueing for one each behind a lock (that lock
/// held ~400 small PUTs/s here). A PutObject is answered only after the transaction holding its row has committed,
/// so an acknowledged object is still a committed one. The WAL's checkpoints run beside the committer, on a thread of
/// their own (<see cref="WalCheckpointer"/>), since the committer is the one thread every PutObject waits for.
/// </para>
/// </remarks>
internal sealed partial class ObjectStore : IDisposable
{
    /// <summary>The largest object PutObject accepts: 5 GiB, as OSS.</summary>
    public const long MaxObjectSize = 5L * 1024 * 1024 * 1024;

    /// <summary>
    /// The first read of a body, without renting a large buffer per connection (64 uploads x 1 MiB would be most of
    /// the memory budget). A body shorter than this is kept in SQLite; a longer one becomes a file.
    /// </summary>
    private const int FirstChunkSize = 64 * 1024;

    /// <summary>
    /// The chunks of a larger body: big enough that each costs few syscalls and thread-pool hops, small enough that
    /// an upload holds at most 2 MiB (<see cref="ChunksInFlight"/>). 1 MiB chunks were ~5% faster on a 1 GiB upload
    /// here, within the noise, and held 2 MiB more per upload against a tight RSS budget (docs/benchmarks.md).
    /// </summary>
    private const int ChunkSize = 512 * 1024;

    /// <summary>
    /// The chunks of one large body being hashed and written while the next is received: an upload holds at most
    /// one more than this many buffers of <see cref="ChunkSize"/>. With one in flight a 1 GiB upload ran at
    /// ~370 MB/s here, paced by the disk; with three at ~480 MB/s, paced by MD5; four did no better
    /// (docs/benchmarks.md).
    /// </summary>
    private const int ChunksInFlight = 3;

    /// <summary>The most PutObject rows one transaction commits; bounds how long the commit lock is held.</summary>
    private const int MaxCommitBatch = 256;

    /// <summary>
    /// Threads that do nothing but fsync bodies. fsync blocks ~1 ms per small file here, and on thread-pool threads
    /// it starved the pool under 64 concurrent PUTs (the pool adds threads slowly); with these threads small PUTs went
    /// from ~2,000 to ~3,500 req/s in an A/B on this machine, without changing the process's pool. 8 in parallel are
    /// more than the rest of a PUT keeps busy (16 reach ~6,800 fsyncs/s on this disk); small stacks, they only fsync.
    /// </summary>
    private const int FsyncThreads = 8;

    /// <summary>U+10FFFF, the largest code point: its UTF-8 form sorts after every other character's.</summary>
    private static readonly string MaxChar = char.ConvertFromUtf32(0x10FFFF);

    /// <summary>
    /// CRC-64/XZ: ECMA-182 polynomial, reflected, init and final XOR all ones (OSS-V4.md §7). The default
    /// <see cref="Crc64"/> parameters are a different variant and must not be used for <c>x-oss-hash-crc64ecma</c>.
    /// </summary>
    internal static readonly Crc64ParameterSet Crc64Xz = Crc64ParameterSet.Create(0x42F0E1EBA9EA3693, ulong.MaxValue, ulong.MaxValue, true);

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private readonly string _connectionString;
    private readonly string _committerConnectionString;
    private readonly WalCheckpointer _checkpointer;
    private readonly string _tempDirectory;
    private readonly string _objectsDirectory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _commitLock = new();
    private readonly FileStream _folderLock;

    /// <summary>
    /// Buckets by name, filled on first use and kept in step by <see cref="EnsureBucket"/> and
    /// <see cref="DeleteBucket"/> (the folder lock makes this process the only writer). Saves every request two
    /// SQLite round trips; a commit still checks the bucket in the database.
    /// </summary>
    private readonly ConcurrentDictionary<string, BucketInfo> _buckets = new(StringComparer.Ordinal);

    private readonly Channel<PendingCommit> _commits = Channel.CreateUnbounded<PendingCommit>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _committer;
    private readonly Channel<FsyncRequest> _fsyncs = Channel.CreateUnbounded<FsyncRequest>();
    private readonly Thread[] _fsyncThreads;

    // Idle buffers kept for the next uploads: 16 first reads (a body whose Content-Length is under 64 KiB takes none)
    // and 8 chunks (two uploads' worth).
    private readonly AlignedBufferPool _firstChunks = new(FirstChunkSize, maxIdle: 16);
    private readonly AlignedBufferPool _chunks = new(ChunkSize, maxIdle: 8);
    private int _disposed;

    /// <summary>Opens (creating when needed) the store in <paramref name="dataDirectory"/> and cleans up after a crash.</summary>
    /// <param name="dataDirectory">The data folder.</param>
    /// <param name="time">The clock for Last-Modified and bucket creation times.</param>
    /// <param name="logger">The logger.</param>
    public ObjectStore(string dataDirectory, TimeProvider time, ILogger<ObjectStore> logger)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        _tempDirectory = Path.Combine(DataDirectory, "tmp");
        _objectsDirectory = Path.Combine(DataDirectory, "objects");
        _time = time;
        _logger = logger;
        Directory.CreateDirectory(_tempDirectory);
        Directory.CreateDirectory(_objectsDirectory);
        _folderLock = LockFolder(DataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDirectory, "metadata.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();

        // Not pooled: it runs without automatic checkpoints (WalCheckpointer), which must not pass to other users.
        _committerConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
        try
        {
            CreateBodyFolders();
            CreateSchema();
            RemoveLeftovers();
        }
        catch
        {
            // The folder stays usable by whoever fixes the problem: a server that did not start holds no lock on it.
            _folderLock.Dispose();
            throw;
        }

        _checkpointer = new WalCheckpointer(Open, logger);

        // A dedicated thread: it blocks in SQLite and fsync, which must not take a thread-pool thread for good.
        _committer = new Thread(CommitLoop) { IsBackground = true, Name = "ObjectStore committer" };
        _committer.Start();
        _fsyncThreads = [.. Enumerable.Range(0, FsyncThreads).Select(i => new Thread(FsyncLoop, maxStackSize: 256 * 1024) { IsBackground = true, Name = $"ObjectStore fsync {i}" })];
        foreach (var thread in _fsyncThreads)
        {
            thread.Start();
        }
    }

    /// <summary>The absolute data folder.</summary>
    public string DataDirectory { get; }

    /// <summary>How many WAL checkpoints ran off the committer's thread; for tests.</summary>
    internal int BackgroundCheckpoints => _checkpointer.BackgroundCheckpoints;

    /// <summary>Creates a bucket, or updates its CORS rules when <paramref name="replaceCors"/> and it exists.</summary>
    /// <returns>False when it already existed.</returns>
    public bool EnsureBucket(string name, string region, IReadOnlyList<CorsRule> cors, bool replaceCors)
    {
        lock (_commitLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            var existing = FindBucket(connection, transaction, name);
            if (existing is not null)
            {
                if (replaceCors)
                {
                    Execute(connection, transaction, "UPDATE buckets SET cors = $cors WHERE name = $name",
                        ("$cors", JsonSerializer.Serialize(cors, Json)), ("$name", name));
                    existing = existing with { CorsRules = cors };
                }

                transaction.Commit();
                _buckets[name] = existing;
                return false;
            }

            var created = _time.GetUtcNow().ToUnixTimeMilliseconds();
            Execute(connection, transaction, "INSERT INTO buckets (name, region, created, cors) VALUES ($name, $region, $created, $cors)",
                ("$name", name), ("$region", region), ("$created", created), ("$cors", JsonSerializer.Serialize(cors, Json)));
            transaction.Commit();
            _buckets[name] = new BucketInfo(name, region, DateTimeOffset.FromUnixTimeMilliseconds(created), cors);
            return true;
        }
    }

    /// <summary>Finds a bucket.</summary>
    public BucketInfo? GetBucket(string name)
    {
        if (_buckets.TryGetValue(name, out var cached))
        {
            return cached;
        }

        // Filled under the commit lock, so that a DeleteBucket cannot slip in between the read and the cache write.
        lock (_commitLock)
        {
            using var connection = Open();
            var bucket = FindBucket(connection, null, name);
            if (bucket is not null)
            {
                _buckets[name] = bucket;
            }

            return bucket;
        }
    }

    /// <summary>All buckets whose name starts with <paramref name="prefix"/> and sorts after <paramref name="marker"/>.</summary>
    public IReadOnlyList<BucketInfo> ListBuckets(string prefix, string marker)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, region, created, cors FROM buckets WHERE name > $marker ORDER BY name";
        command.Parameters.AddWithValue("$marker", marker);
        using var reader = command.ExecuteReader();
        var buckets = new List<BucketInfo>();
        while (reader.Read())
        {
            var bucket = ReadBucket(reader);
            if (bucket.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                buckets.Add(bucket);
            }
        }

        return buckets;
    }

    /// <summary>Deletes an empty bucket.</summary>
    /// <returns>Null when deleted; otherwise <c>NoSuchBucket</c> or <c>BucketNotEmpty</c>.</returns>
    public string? DeleteBucket(string name)
    {
        lock (_commitLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            if (FindBucket(connection, transaction, name) is null)
            {
                return Signing.OssErrorCodes.NoSuchBucket;
            }

            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                // As on OSS, a bucket with multipart uploads in progress is not empty: their parts are stored in it.
                command.CommandText =
                    "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $bucket) OR EXISTS (SELECT 1 FROM uploads WHERE bucket = $bucket)";
                command.Parameters.AddWithValue("$bucket", name);
                if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) != 0)
                {
                    return Signing.OssErrorCodes.BucketNotEmpty;
                }
            }

            Execute(connection, transaction, "DELETE FROM buckets WHERE name = $name", ("$name", name));
            transaction.Commit();
            _buckets.TryRemove(name, out _);
            return null;
        }
    }

    /// <summary>
    /// Streams <paramref name="body"/> into a new object. The body is hashed as it arrives, never held whole in
    /// memory, and never read twice.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="body">The request body.</param>
    /// <param name="declaredLength">
    /// Its Content-Length, or null when it has none (chunked). The body must end there, as Kestrel enforces; a body that
    /// ends sooner fails with <see cref="EndOfStreamException"/>.
    /// </param>
    /// <param name="headers">The headers to keep.</param>
    /// <param name="expectedMd5">The decoded Content-MD5, or null.</param>
    /// <param name="forbidOverwrite">Refuse when the key exists (<c>x-oss-forbid-overwrite: true</c>).</param>
    /// <param name="cancellationToken">Aborts the upload (client gone).</param>
    /// <returns>The outcome.</returns>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms",
        Justification = "MD5 is the OSS ETag and Content-MD5 checksum (OSS-V4.md §7), an integrity check, not a security control.")]
    public async Task<PutOutcome> PutObjectAsync(
        string bucket, string key, Stream body, long? declaredLength, ObjectHeaders headers, byte[]? expectedMd5, bool forbidOverwrite,
        CancellationToken cancellationToken)
    {
        if (GetBucket(bucket) is null)
        {
            return new PutOutcome(PutStatus.NoSuchBucket);
        }

        // A body whose Content-Length says it fits in SQLite is read straight into the array SQLite stores: no pooled
        // 64 KiB buffer per upload and no copy out of it.
        AlignedBuffer? first = declaredLength < FirstChunkSize ? null : _firstChunks.Rent();
        string? tempPath = null;
        var moved = false;

        // A body moved into objects/ that no row names yet: deleted unless its commit succeeds (it may fail, e.g. when
        // the disk fills up after the body fitted; left there, it would hold its space until the next start).
        string? uncommitted = null;
        try
        {
            byte[]? inlineBody;
            if (first is null)
            {
                inlineBody = new byte[declaredLength!.Value];
                var read = await FillAsync(body, inlineBody, cancellationToken).ConfigureAwait(false);
                if (read < inlineBody.Length)
                {
                    throw new EndOfStreamException($"The body ended after {read} of its {inlineBody.Length} bytes.");
                }
            }
            else
            {
                // Without a Content-Length under 64 KiB, a body shorter than the first read is kept in SQLite too.
                var filled = await FillAsync(body, first.Memory, cancellationToken).ConfigureAwait(false);
                inlineBody = filled < first.Length ? first.Span[..filled].ToArray() : null;
            }

            long size;
            byte[] md5;
            ulong crc;
            if (inlineBody is not null)
            {
                // The whole body is here: it is stored in SQLite and committed with its row.
                (size, md5, crc) = (inlineBody.Length, MD5.HashData(inlineBody), Crc64.HashToUInt64(Crc64Xz, inlineBody));
            }
            else
            {
                tempPath = Path.Combine(_tempDirectory, Guid.NewGuid().ToString("N") + ".tmp");
                var received = ReceiveAsync(body, first!, tempPath, cancellationToken);
                first = null; // ReceiveAsync owns it now
                if (await received.ConfigureAwait(false) is not { } whole)
                {
                    return new PutOutcome(PutStatus.EntityTooLarge);
                }

                (size, md5, crc) = whole;
            }

            if (expectedMd5 is not null && !expectedMd5.AsSpan().SequenceEqual(md5))
            {
                return new PutOutcome(PutStatus.BadDigest, ComputedMd5: md5);
            }

            string bodyId;
            if (tempPath is not null)
            {
                bodyId = await MoveToBodiesAsync(tempPath).ConfigureAwait(false);
                (moved, uncommitted) = (true, bodyId);
            }
            else
            {
                bodyId = NewInlineBodyId();
            }

            var stored = new StoredObject(bucket, key, bodyId, size, Convert.ToHexString(md5), crc, TruncateToSeconds(_time.GetUtcNow()), headers);

            // Not cancellable: once queued the row commits, and this answer must say so whether or not the client waits.
            var pending = new PendingCommit(stored, inlineBody, forbidOverwrite);
            ObjectDisposedException.ThrowIf(!_commits.Writer.TryWrite(pending), this);

            var status = await pending.Done.Task.ConfigureAwait(false);
            if (status != PutStatus.Created)
            {
                return new PutOutcome(status, ComputedMd5: md5);
            }

            uncommitted = null;
            return new PutOutcome(PutStatus.Created, stored, md5);
        }
        finally
        {
            if (first is not null)
            {
                _firstChunks.Return(first);
            }

            // Any failure before the move (bad digest, client gone, full disk) leaves nothing behind; nor does one after.
            if (tempPath is not null && !moved)
            {
                TryDelete(tempPath);
            }
            else if (uncommitted is not null)
            {
                DeleteBody(uncommitted);
            }
        }
    }

    /// <summary>
    /// Writes a body larger than the first read to <paramref name="tempPath"/> and fsyncs it, computing MD5 and
    /// CRC-64 on the way. <paramref name="first"/> holds its first <see cref="FirstChunkSize"/> bytes; this method
    /// owns it and gives it back.
    /// </summary>
    /// <remarks>
    /// The body is pipelined: while the next chunk is received, up to <see cref="ChunksInFlight"/> chunks are hashed
    /// (in order, one after the other, as MD5 is sequential; MD5 and CRC-64 each on their own, so the MD5 thread, the
    /// bound of a large upload, does only MD5) and written (all at once, each at its own offset).
    /// Measured on a 1 GiB upload here: a direct 1 MiB write took ~2.7 ms and hashing it ~2.1 ms, so with one chunk
    /// in flight, write and hash in parallel, the disk's latency set the pace (~350 MB/s); with several, hashing does.
    /// The chunks are written direct (<see cref="DirectWrites"/>): every one is aligned in memory, starts at a
    /// multiple of its size and is full, and only the tail, written after the file is switched back to buffered
    /// writes, is not.
    /// </remarks>
    /// <returns>Size, MD5 and CRC-64; null when the body exceeds <see cref="MaxObjectSize"/>.</returns>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms",
        Justification = "MD5 is the OSS ETag and Content-MD5 checksum (OSS-V4.md §7), an integrity check, not a security control.")]
    private async Task<(long Size, byte[] Md5, ulong Crc)?> ReceiveAsync(Stream body, AlignedBuffer first, string tempPath, CancellationToken cancellationToken)
    {
        // Should the open fail, the first buffer is left to the GC rather than given back: harmless, and rare.
        using var file = File.OpenHandle(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var crc64 = new Crc64(Crc64Xz);
        var direct = DirectWrites.TryEnable(file);
        var inFlight = new Queue<(AlignedBuffer Buffer, Task Done)>(ChunksInFlight);
        // The last chunk's MD5 and CRC-64: each chunk's hashing waits for the previous chunk's, per hash.
        var (md5Done, crcDone) = (Task.CompletedTask, Task.CompletedTask);
        var current = first;
        var filled = first.Length;
        long size = 0;
        try
        {
            while (true)
            {
                if (size + filled > MaxObjectSize)
                {
                    return null;
                }

                var chunk = current;
                var offset = size;
                size += filled;
                if (filled < chunk.Length)
                {
                    // A short fill is the end of the body: not aligned, so written buffered once the direct writes and
                    // the hashing before it are done.
                    await DrainAsync(inFlight).ConfigureAwait(false);
                    if (direct)
                    {
                        DirectWrites.Disable(file);
                    }

                    var tail = chunk.Memory[..filled];
                    RandomAccess.Write(file, tail.Span, offset);
                    md5.AppendData(tail.Span);
                    crc64.Append(tail.Span);
                    break;
                }

                var (previousMd5, previousCrc) = (md5Done, crcDone);
                md5Done = Task.Run(() => AfterAsync(previousMd5, () => md5.AppendData(chunk.Span)), CancellationToken.None);
                crcDone = Task.Run(() => AfterAsync(previousCrc, () => crc64.Append(chunk.Span)), CancellationToken.None);
                var written = RandomAccess.WriteAsync(file, chunk.Memory, offset, CancellationToken.None).AsTask();
                inFlight.Enqueue((chunk, Task.WhenAll(md5Done, crcDone, written)));

                // The oldest chunk's buffer is reused once it is hashed and written; the small first one is not.
                if (inFlight.Count < ChunksInFlight)
                {
                    current = _chunks.Rent();
                }
                else
                {
                    (current, var done) = inFlight.Dequeue();
                    await done.ConfigureAwait(false);
                    if (current.Length != ChunkSize)
                    {
                        _firstChunks.Return(current);
                        current = _chunks.Rent();
                    }
                }

                filled = await FillAsync(body, current.Memory, cancellationToken).ConfigureAwait(false);
                if (filled == 0)
                {
                    await DrainAsync(inFlight).ConfigureAwait(false);
                    break;
                }
            }

            // Durable before it can become visible: the commit must never point at bytes still in the cache.
            await FlushToDiskAsync(file).ConfigureAwait(false);
            return (size, md5.GetHashAndReset(), crc64.GetCurrentHashAsUInt64());
        }
        finally
        {
            // A failed or abandoned upload may still be hashing or writing chunks; their buffers go back only after.
            foreach (var (buffer, done) in inFlight)
            {
                try
                {
                    await done.ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The upload failed already (this write's error was thrown by an await above, or another was).
                }

                ReturnBuffer(buffer);
            }

            ReturnBuffer(current);
        }
    }

    /// <summary>
    /// Renames a received, fsynced body from <c>tmp/</c> into <c>objects/</c> under a new id and makes the rename
    /// durable. On failure after the rename the body is deleted again.
    /// </summary>
    /// <returns>The body's id.</returns>
    private async Task<string> MoveToBodiesAsync(string tempPath)
    {
        var bodyId = NewBodyFileId();
        var bodyPath = BodyPath(bodyId);
        File.Move(tempPath, bodyPath);
        try
        {
            // The body's data was fsynced when it was received; its new name is durable only once its folder is.
            await FlushFolderToDiskAsync(Path.GetDirectoryName(bodyPath)!).ConfigureAwait(false);
        }
        catch
        {
            DeleteBody(bodyId);
            throw;
        }

        return bodyId;
    }

    /// <summary>Waits for every chunk in flight, giving each buffer back as it is done.</summary>
    private async Task DrainAsync(Queue<(AlignedBuffer Buffer, Task Done)> inFlight)
    {
        while (inFlight.TryPeek(out var oldest))
        {
            await oldest.Done.ConfigureAwait(false);
            inFlight.Dequeue();
            ReturnBuffer(oldest.Buffer);
        }
    }

    private void ReturnBuffer(AlignedBuffer buffer) => (buffer.Length == ChunkSize ? _chunks : _firstChunks).Return(buffer);

    /// <summary>fsyncs <paramref name="file"/> on one of the fsync threads.</summary>
    private Task FlushToDiskAsync(SafeFileHandle file)
    {
        var request = new FsyncRequest(file);
        ObjectDisposedException.ThrowIf(!_fsyncs.Writer.TryWrite(request), this);
        return request.Done.Task;
    }

    /// <summary>fsyncs the folder <paramref name="directory"/> on one of the fsync threads.</summary>
    private async Task FlushFolderToDiskAsync(string directory)
    {
        using var folder = DirectorySync.Open(directory);
        if (folder is not null)
        {
            await FlushToDiskAsync(folder).ConfigureAwait(false);
        }
    }

    /// <summary>An fsync thread: fsyncs whatever is queued until Dispose completes the queue and it is empty.</summary>
    private void FsyncLoop()
    {
        var reader = _fsyncs.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var request))
            {
                try
                {
                    RandomAccess.FlushToDisk(request.File);
                    request.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    // The upload fails with it (a 500; nothing is committed), as if it had fsynced itself.
                    request.Done.TrySetException(e);
                }
            }
        }
    }

    /// <summary>A body waiting to be fsynced; continuations run on the thread pool, not on the fsync thread.</summary>
    private sealed class FsyncRequest(SafeFileHandle file)
    {
        public SafeFileHandle File { get; } = file;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Runs <paramref name="hash"/> (one chunk into one hash) once the previous chunk's is done.</summary>
    private static async Task AfterAsync(Task previous, Action hash)
    {
        await previous.ConfigureAwait(false);
        hash();
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the body ends.</summary>
    /// <returns>The bytes read; less than the buffer's length only at the end of the body.</returns>
    private static async Task<int> FillAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await body.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false)) > 0)
        {
            filled += read;
        }

        return filled;
    }

    /// <summary>Finds an object's metadata.</summary>
    public StoredObject? GetObject(string bucket, string key) => FindObject(bucket, key, withInlineBody: false).Object;

    private const string FindObjectSql = $"SELECT {ObjectColumns} FROM objects WHERE bucket = $bucket AND key = $key";
    private const string FindObjectWithBodySql =
        $"SELECT {ObjectColumns}, CASE WHEN body IS NOT NULL THEN body WHEN {InBodiesTable} THEN " +
        "(SELECT data FROM bodies WHERE bodies.body_id = objects.body_id) END FROM objects WHERE bucket = $bucket AND key = $key";

    /// <summary>An object's metadata and, when asked and its body is kept in SQLite, the body (under 64 KiB).</summary>
    private (StoredObject? Object, byte[]? InlineBody) FindObject(string bucket, string key, bool withInlineBody)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = withInlineBody ? FindObjectWithBodySql : FindObjectSql;
        command.Parameters.AddWithValue("$bucket", bucket);
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return (null, null);
        }

        var bodyOrdinal = reader.FieldCount - 1;
        return (ReadObject(reader), withInlineBody && !reader.IsDBNull(bodyOrdinal) ? reader.GetFieldValue<byte[]>(bodyOrdinal) : null);
    }

    /// <summary>
    /// Finds an object and opens its body. Retries when a concurrent overwrite deleted the body between the lookup
    /// and the open, so a reader gets either the old or the new object whole.
    /// </summary>
    /// <returns>The object and an open body stream, or null when there is no such object.</returns>
    public (StoredObject Object, Stream Body)? OpenObject(string bucket, string key)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var (stored, inlineBody) = FindObject(bucket, key, withInlineBody: true);
            if (stored is null)
            {
                return null;
            }

            if (inlineBody is not null)
            {
                return (stored, new MemoryStream(inlineBody, writable: false));
            }

            try
            {
                var stream = new FileStream(BodyPath(stored.BodyId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                    bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
                return (stored, stream);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                LogBodyReplaced(stored.Bucket, stored.BodyId);
            }
        }

        throw new IOException($"The body of an object in bucket '{bucket}' kept disappearing while being opened.");
    }

    /// <summary>Deletes an object; deleting a missing key is not an error (as OSS).</summary>
    public void DeleteObject(string bucket, string key)
    {
        string? bodyId;
        lock (_commitLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            bodyId = FindBodyFile(connection, transaction, bucket, key);
            if (bodyId is null)
            {
                return;
            }

            Execute(connection, transaction, "DELETE FROM objects WHERE bucket = $bucket AND key = $key", ("$bucket", bucket), ("$key", key));
            transaction.Commit();
        }

        if (bodyId.Length > 0)
        {
            DeleteBody(bodyId);
        }
    }

    /// <summary>
    /// Lists keys in UTF-8 byte order (as OSS), grouping by <paramref name="delimiter"/> into common prefixes.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="prefix">Only keys starting with this.</param>
    /// <param name="delimiter">Groups keys by the first occurrence after the prefix; empty for none.</param>
    /// <param name="after">Only entries after this key or common prefix (exclusive), or null.</param>
    /// <param name="afterIsCommonPrefix">Whether <paramref name="after"/> is a common prefix whose keys are all skipped.</param>
    /// <param name="maxKeys">The page size, counting objects and common prefixes.</param>
    /// <returns>The page.</returns>
    public ListPage ListObjects(string bucket, string prefix, string delimiter, string? after, bool afterIsCommonPrefix, int maxKeys)
    {
        const int Batch = 1000;
        var entries = new List<ListEntry>();
        var skipPrefix = afterIsCommonPrefix ? after : null;
        var cursor = afterIsCommonPrefix ? after + MaxChar : after;
        using var connection = Open();
        while (entries.Count <= maxKeys)
        {
            using var command = connection.CreateCommand();
            command.CommandText = cursor is null || CompareUtf8(cursor, prefix) < 0
                ? $"SELECT {ObjectColumns} FROM objects WHERE bucket = $bucket AND key >= $prefix ORDER BY key LIMIT $limit"
                : $"SELECT {ObjectColumns} FROM objects WHERE bucket = $bucket AND key > $cursor ORDER BY key LIMIT $limit";
            command.Parameters.AddWithValue("$bucket", bucket);
            command.Parameters.AddWithValue("$prefix", prefix);
            command.Parameters.AddWithValue("$cursor", (object?)cursor ?? DBNull.Value);
            command.Parameters.AddWithValue("$limit", Batch);
            using var reader = command.ExecuteReader();
            var rows = 0;
            var jumped = false;
            while (reader.Read())
            {
                rows++;
                var stored = ReadObject(reader);
                cursor = stored.Key;
                if (!stored.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    // Keys with a prefix are contiguous in byte order, so the first one without it ends the listing.
                    return new ListPage(entries, false);
                }

                if (skipPrefix is not null && stored.Key.StartsWith(skipPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var split = delimiter.Length == 0 ? -1 : stored.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (split >= 0)
                {
                    var common = stored.Key[..(split + delimiter.Length)];
                    entries.Add(new ListEntry(common, true, null));
                    skipPrefix = common;

                    // Jump past the group: every key that starts with it sorts below prefix + U+10FFFF (UTF-8 F4 8F BF BF);
                    // the rare key beyond that is caught by skipPrefix.
                    cursor = common + MaxChar;
                    jumped = true;
                }
                else
                {
                    entries.Add(new ListEntry(stored.Key, false, stored));
                }

                if (entries.Count > maxKeys || jumped)
                {
                    break;
                }
            }

            if (entries.Count > maxKeys)
            {
                break;
            }

            if (!jumped && rows < Batch)
            {
                return new ListPage(entries, false);
            }
        }

        // One entry past the page was read only to learn that the listing is truncated.
        entries.RemoveAt(entries.Count - 1);
        return new ListPage(entries, true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The fsync threads and then the committer finish what is queued (those uploads are answered); the
        // committer then closes its connection.
        _fsyncs.Writer.Complete();
        foreach (var thread in _fsyncThreads)
        {
            thread.Join();
        }

        _commits.Writer.Complete();
        _committer.Join();
        _checkpointer.Dispose();

        // Pooled connections keep the database open; release them so the folder can be reused or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        _folderLock.Dispose();
    }

    /// <summary>
    /// Creates the 256 folders bodies are spread over and makes them and the data folder durable, once, so that an
    /// upload only has to fsync its own folder after its rename: a folder made on demand would need its parent fsynced
    /// too, before any upload into it is acknowledged.
    /// </summary>
    private void CreateBodyFolders()
    {
        for (var prefix = 0; prefix < 256; prefix++)
        {
            Directory.CreateDirectory(Path.Combine(_objectsDirectory, prefix.ToString("x2", CultureInfo.InvariantCulture)));
        }

        DirectorySync.Flush(_objectsDirectory);
        DirectorySync.Flush(DataDirectory);
        if (Path.GetDirectoryName(DataDirectory) is { } parent)
        {
            DirectorySync.Flush(parent);
        }
    }

    /// <summary>
    /// Holds the data folder exclusively: a second server on it would delete the first one's in-progress uploads as
    /// leftovers when it starts.
    /// </summary>
    private static FileStream LockFolder(string dataDirectory)
    {
        try
        {
            return new FileStream(Path.Combine(dataDirectory, "server.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsHeldByAnotherProcess(e))
        {
            throw new InvalidOperationException(
                $"The data folder '{dataDirectory}' is in use by another local OSS server; stop it or choose another folder.", e);
        }
        catch (IOException e)
        {
            // Any other failure (a read-only file system, a full disk) is not another server: said as it is.
            throw new IOException($"The data folder '{dataDirectory}' cannot be written: {e.Message}", e);
        }
    }

    /// <summary>
    /// Whether opening the lock file failed because another process holds it: .NET reports that with the errno of the
    /// refused lock (EWOULDBLOCK, 11 on Linux, 35 on macOS) or, on Windows, ERROR_SHARING_VIOLATION.
    /// </summary>
    private static bool IsHeldByAnotherProcess(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) == 32 : e.HResult == (OperatingSystem.IsMacOS() ? 35 : 11);

    /// <summary>
    /// The committer thread: waits for PutObjects to commit and commits all that are waiting (up to
    /// <see cref="MaxCommitBatch"/>) in one transaction, in the order they arrived.
    /// </summary>
    private void CommitLoop()
    {
        var reader = _commits.Reader;
        var batch = new List<PendingCommit>(MaxCommitBatch);
        CommitStatements? statements = null;
        try
        {
            // Blocking is fine on this dedicated thread; WaitToReadAsync is false once Dispose completed the channel
            // and everything queued has been read.
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (batch.Count < MaxCommitBatch && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }

                try
                {
                    statements ??= new CommitStatements(OpenCommitter());
                    CommitBatch(statements, batch);
                    _checkpointer.Committed(statements.Connection);
                }
                catch (Exception e)
                {
                    // Nothing of the batch committed (the transaction rolled back): every upload in it fails, none is
                    // acknowledged. A fresh connection for the next batch, in case this one is broken.
                    foreach (var pending in batch)
                    {
                        pending.Done.TrySetException(e);
                    }

                    statements?.Dispose();
                    statements = null;
                }

                batch.Clear();
            }
        }
        finally
        {
            statements?.Dispose();
        }
    }

    private void CommitBatch(CommitStatements statements, List<PendingCommit> batch)
    {
        var statuses = new PutStatus[batch.Count];
        var replaced = new List<string>();
        lock (_commitLock)
        {
            using var transaction = statements.Begin();

            // Whether each bucket of the batch exists, looked up once per batch: under the commit lock no bucket can
            // come or go until the batch has committed.
            var buckets = new Dictionary<string, bool>(StringComparer.Ordinal);
            for (var i = 0; i < batch.Count; i++)
            {
                var bucket = batch[i].Object.Bucket;
                if (!buckets.TryGetValue(bucket, out var exists))
                {
                    buckets[bucket] = exists = statements.BucketExists(bucket);
                }

                statuses[i] = exists ? Apply(statements, batch[i], replaced) : PutStatus.NoSuchBucket;
            }

            transaction.Commit();
        }

        // Answered only now that the rows are durable (synchronous = FULL).
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(statuses[i]);
        }

        foreach (var bodyId in replaced)
        {
            DeleteBody(bodyId);
        }
    }

    /// <summary>
    /// Writes one object's row inside the batch's transaction. A later row of the same batch sees this one, so
    /// PUTs of one key in one batch behave as if committed one after another: the last wins, forbid-overwrite sees
    /// the earlier.
    /// </summary>
    private static PutStatus Apply(CommitStatements statements, PendingCommit pending, List<string> replaced)
    {
        var stored = pending.Object;
        var previous = statements.FindBodyFile(stored.Bucket, stored.Key);
        if (previous is not null && pending.ForbidOverwrite)
        {
            return PutStatus.FileAlreadyExists;
        }

        statements.Upsert(stored, pending.InlineBody);
        if (previous is { Length: > 0 })
        {
            replaced.Add(previous);
        }

        return PutStatus.Created;
    }

    /// <summary>
    /// The committer's connection and statements, prepared once: parsing the SQL again for every object was a tenth
    /// of the server's CPU time for small PUTs.
    /// </summary>
    private sealed class CommitStatements : IDisposable
    {
        private readonly SqliteCommand _bucketExists;
        private readonly SqliteCommand _findBodyFile;
        private readonly SqliteCommand _upsert;
        private readonly SqliteCommand _insertBody;

        public CommitStatements(SqliteConnection connection)
        {
            Connection = connection;
            _bucketExists = Command("SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $bucket)", "$bucket");
            _findBodyFile = Command(FindBodyFileSql, "$bucket", "$key");
            _upsert = Command(UpsertObjectSql, UpsertObjectParameters);
            _insertBody = Command("INSERT INTO bodies (body_id, data) VALUES ($body_id, $data)", "$body_id", "$data");
        }

        /// <summary>The committer's connection, which the statements run on.</summary>
        public SqliteConnection Connection { get; }

        /// <summary>Begins a transaction that the four statements join.</summary>
        public SqliteTransaction Begin()
        {
            var transaction = Connection.BeginTransaction();
            _bucketExists.Transaction = transaction;
            _findBodyFile.Transaction = transaction;
            _upsert.Transaction = transaction;
            _insertBody.Transaction = transaction;
            return transaction;
        }

        public bool BucketExists(string bucket)
        {
            _bucketExists.Parameters[0].Value = bucket;
            return Convert.ToInt64(_bucketExists.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
        }

        /// <inheritdoc cref="FindBodyFileSql"/>
        public string? FindBodyFile(string bucket, string key)
        {
            _findBodyFile.Parameters[0].Value = bucket;
            _findBodyFile.Parameters[1].Value = key;
            return _findBodyFile.ExecuteScalar() as string;
        }

        public void Upsert(StoredObject stored, byte[]? inlineBody)
        {
            var values = UpsertObjectValues(stored);
            for (var i = 0; i < values.Length; i++)
            {
                _upsert.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            if (inlineBody is not null)
            {
                _insertBody.Parameters[0].Value = stored.BodyId;
                _insertBody.Parameters[1].Value = inlineBody;
                _insertBody.ExecuteNonQuery();
            }

            _upsert.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _bucketExists.Dispose();
            _findBodyFile.Dispose();
            _upsert.Dispose();
            _insertBody.Dispose();
            Connection.Dispose();
        }

        private SqliteCommand Command(string sql, params string[] parameters)
        {
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            return command;
        }
    }

    /// <summary>A PutObject whose body is durable, waiting for its row to commit.</summary>
    private sealed class PendingCommit(StoredObject stored, byte[]? inlineBody, bool forbidOverwrite)
    {
        public StoredObject Object { get; } = stored;

        /// <summary>The body when it is kept in SQLite; null when it is a file.</summary>
        public byte[]? InlineBody { get; } = inlineBody;

        public bool ForbidOverwrite { get; } = forbidOverwrite;

        /// <summary>Completed by the committer; continuations run on the thread pool, not on the committer.</summary>
        public TaskCompletionSource<PutStatus> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Inserts or replaces an object's row; its parameters are <see cref="UpsertObjectParameters"/>, in order.</summary>
    private const string UpsertObjectSql =
        """
        INSERT INTO objects (bucket, key, body_id, size, md5, crc64, last_modified, content_type, content_disposition,
                             content_encoding, cache_control, expires, metadata)
        VALUES ($bucket, $key, $body_id, $size, $md5, $crc64, $modified, $type, $disposition, $encoding, $cache, $expires, $meta)
        ON CONFLICT (bucket, key) DO UPDATE SET
            body_id = excluded.body_id, size = excluded.size, md5 = excluded.md5, crc64 = excluded.crc64,
            last_modified = excluded.last_modified, content_type = excluded.content_type,
            content_disposition = excluded.content_disposition, content_encoding = excluded.content_encoding,
            cache_control = excluded.cache_control, expires = excluded.expires, metadata = excluded.metadata,
            body = NULL
        """;

    private static readonly string[] UpsertObjectParameters =
        ["$bucket", "$key", "$body_id", "$size", "$md5", "$crc64", "$modified", "$type", "$disposition", "$encoding", "$cache", "$expires", "$meta"];

    /// <summary>The values of <see cref="UpsertObjectParameters"/> for <paramref name="stored"/>; null for SQL NULL.</summary>
    private static object?[] UpsertObjectValues(StoredObject stored)
    {
        var h = stored.Headers;
        return
        [
            stored.Bucket, stored.Key, stored.BodyId, stored.Size, stored.EntityTag, stored.Crc64.ToString(CultureInfo.InvariantCulture),
            stored.LastModified.ToUnixTimeMilliseconds(), h.ContentType, h.ContentDisposition, h.ContentEncoding, h.CacheControl,
            h.Expires, SerializeMetadata(h.Metadata),
        ];
    }

    private static string SerializeMetadata(IReadOnlyDictionary<string, string> metadata) =>
        metadata.Count == 0 ? "{}" : JsonSerializer.Serialize(metadata, Json);

    private const string ObjectColumns =
        "bucket, key, body_id, size, md5, crc64, last_modified, content_type, content_disposition, content_encoding, cache_control, expires, metadata";

    private static StoredObject ReadObject(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetInt64(3),
        reader.GetString(4),
        ulong.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        new ObjectHeaders(
            NullableString(reader, 7),
            NullableString(reader, 8),
            NullableString(reader, 9),
            NullableString(reader, 10),
            NullableString(reader, 11),
            JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(12), Json) ?? []));

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static BucketInfo ReadBucket(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
        JsonSerializer.Deserialize<List<CorsRule>>(reader.GetString(3), Json) ?? []);

    private static BucketInfo? FindBucket(SqliteConnection connection, SqliteTransaction? transaction, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name, region, created, cors FROM buckets WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadBucket(reader) : null;
    }

    /// <summary>
    /// The body file of an object: its id, an empty string when the body is kept in SQLite, null when there is no such
    /// object.
    /// </summary>
    private const string FindBodyFileSql =
        $"SELECT CASE WHEN {IsBodyFile} THEN body_id ELSE '' END FROM objects WHERE bucket = $bucket AND key = $key";

    /// <summary>
    /// SQL: the objects row's body is a file. Small bodies have an id starting with <c>i</c> (kept in
    /// <c>bodies</c>) or, as written before that table, a non-NULL <c>body</c>; file ids are hexadecimal.
    /// </summary>
    private const string IsBodyFile = "(body IS NULL AND substr(body_id, 1, 1) <> 'i')";

    /// <summary>SQL: the objects row's body is a row of the <c>bodies</c> table.</summary>
    private const string InBodiesTable = "(body IS NULL AND substr(body_id, 1, 1) = 'i')";

    /// <inheritdoc cref="FindBodyFileSql"/>
    private static string? FindBodyFile(SqliteConnection connection, SqliteTransaction transaction, string bucket, string key)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = FindBodyFileSql;
        command.Parameters.AddWithValue("$bucket", bucket);
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    /// <summary>A command in <paramref name="transaction"/> with its parameters bound; null values become SQL NULL.</summary>
    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>
    /// Whether a listing's marker is one of its common prefixes (a prefix that ends at the first delimiter after
    /// <paramref name="prefix"/>): such a marker, as NextMarker or NextKeyMarker after a CommonPrefixes entry, skips
    /// every key under it.
    /// </summary>
    internal static bool IsCommonPrefix(string marker, string prefix, string delimiter) =>
        delimiter.Length > 0 && marker.StartsWith(prefix, StringComparison.Ordinal) && marker.EndsWith(delimiter, StringComparison.Ordinal)
        && marker.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal) == marker.Length - delimiter.Length;

    private SqliteConnection Open() => Open(_connectionString, string.Empty);

    /// <summary>The committer's connection: checkpoints are <see cref="WalCheckpointer"/>'s.</summary>
    private SqliteConnection OpenCommitter() => Open(_committerConnectionString, "PRAGMA wal_autocheckpoint = 0;");

    private static SqliteConnection Open(string connectionString, string morePragmas)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();

            // FULL: a committed PutObject survives power loss, which is the point of fsyncing the body first.
            command.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; " + morePragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The layout of the data folder this code writes, in SQLite's <c>user_version</c>: 0 for folders written before
    /// it was recorded, 1 since small bodies have their own table, 2 since multipart uploads keep their parts (bodies
    /// that no object names, which code of layout 1 would delete as orphans).
    /// </summary>
    internal const int LayoutVersion = 2;

    private void CreateSchema()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();

        // A newer layout may keep objects where this code does not look, and the start-up clean-up would delete them
        // as broken: refuse it rather than lose them. Older layouts are upgraded in place below.
        command.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (version > LayoutVersion)
        {
            throw new InvalidOperationException(
                $"The data folder '{DataDirectory}' was written by a newer version of the local OSS server (layout {version}; this " +
                $"version knows up to {LayoutVersion}); run that version, or choose another folder.");
        }

        // key is TEXT with the default BINARY collation: comparisons are memcmp over UTF-8, which is OSS's list order.
        command.CommandText =
            """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS buckets (
                name    TEXT NOT NULL PRIMARY KEY,
                region  TEXT NOT NULL,
                created INTEGER NOT NULL,
                cors    TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS objects (
                bucket              TEXT NOT NULL REFERENCES buckets (name),
                key                 TEXT NOT NULL,
                body_id             TEXT NOT NULL UNIQUE,
                size                INTEGER NOT NULL,
                md5                 TEXT NOT NULL,
                crc64               TEXT NOT NULL,
                last_modified       INTEGER NOT NULL,
                content_type        TEXT,
                content_disposition TEXT,
                content_encoding    TEXT,
                cache_control       TEXT,
                expires             TEXT,
                metadata            TEXT NOT NULL,
                body                BLOB,
                PRIMARY KEY (bucket, key)
            ) WITHOUT ROWID;
            """;
        command.ExecuteNonQuery();

        // Data folders from before small bodies were kept in SQLite: every body there is a file, which a NULL body
        // says. Added before the triggers below, which name the column.
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('objects') WHERE name = 'body'";
        if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            command.CommandText = "ALTER TABLE objects ADD COLUMN body BLOB";
            command.ExecuteNonQuery();
        }

        // Small bodies have a table of their own, keyed by their time-ordered id: new ones are appended at its right
        // edge, and objects stays a table of short rows (~20 to a page) whose inner pages fit SQLite's page cache. In
        // objects.body (where data folders written before 2026-11-28 keep them), each 4 KiB body took a leaf page of
        // its own and an overflow page at a random place in the objects B-tree, which outgrew the cache: a small PUT's
        // lookup and upsert read pages back from the WAL and the file (the committer's CPU per PUT fell by 10-13%
        // without them, docs/benchmarks.md), and listing 1,000 keys read 1,000 leaf pages instead of ~50. The
        // triggers delete such a body with the row that names it, in the same transaction, whichever statement
        // replaces or deletes that row.
        command.CommandText =
            """
            CREATE TABLE IF NOT EXISTS bodies (
                body_id TEXT NOT NULL PRIMARY KEY,
                data    BLOB NOT NULL
            ) WITHOUT ROWID;
            CREATE TRIGGER IF NOT EXISTS objects_body_deleted AFTER DELETE ON objects
                WHEN old.body IS NULL AND substr(old.body_id, 1, 1) = 'i'
                BEGIN DELETE FROM bodies WHERE body_id = old.body_id; END;
            CREATE TRIGGER IF NOT EXISTS objects_body_replaced AFTER UPDATE OF body_id ON objects
                WHEN old.body IS NULL AND substr(old.body_id, 1, 1) = 'i' AND new.body_id <> old.body_id
                BEGIN DELETE FROM bodies WHERE body_id = old.body_id; END;
            """;
        command.ExecuteNonQuery();

        command.CommandText = MultipartSchemaSql;
        command.ExecuteNonQuery();

        command.CommandText = $"PRAGMA user_version = {LayoutVersion}";
        command.ExecuteNonQuery();
    }

    private void RemoveLeftovers()
    {
        // Temp files are uploads that never finished; they were never visible.
        foreach (var file in Directory.EnumerateFiles(_tempDirectory))
        {
            TryDelete(file);
            LogRemoved("incomplete upload", file);
        }

        // A body no row names is an upload (or a part) that crashed between rename and commit, or a replaced body
        // whose delete did not happen. Each referenced body maps to the table whose row names it.
        var referenced = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var connection = Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT body_id, 'objects' FROM objects WHERE {IsBodyFile} UNION ALL SELECT body_id, 'parts' FROM parts";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                referenced.Add(reader.GetString(0), reader.GetString(1));
            }
        }

        foreach (var file in Directory.EnumerateFiles(_objectsDirectory, "*", SearchOption.AllDirectories))
        {
            if (!referenced.ContainsKey(Path.GetFileName(file)))
            {
                TryDelete(file);
                LogRemoved("orphan body", file);
            }
        }

        // The converse: a row whose body is gone. The body and its folder are fsynced before the commit, so only a
        // file removed by hand (or a disk that ignores fsync) leaves one; such an object must not stay visible as a
        // broken one, nor such a part be completed into one.
        foreach (var (bodyId, table) in referenced)
        {
            if (!File.Exists(BodyPath(bodyId)))
            {
                using var connection = Open();
                Execute(connection, null, $"DELETE FROM {table} WHERE body_id = $body", ("$body", bodyId));
                LogRemoved(table == "parts" ? "part without a body" : "object without a body", bodyId);
            }
        }
    }

    /// <summary>The name of a new body file: random, so that its first two characters spread files over 256 folders.</summary>
    private static string NewBodyFileId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The id of a new body kept in SQLite, which is never a file name: <c>i</c> and a version 7 UUID (a millisecond
    /// timestamp, then random bits). Ids of later milliseconds sort after earlier ones and after every file id, so the
    /// <c>bodies</c> table and the UNIQUE index on <c>body_id</c> grow at their right edge and a batch of small PUTs
    /// dirties one or two of their leaf pages. A random id dirtied one page per row, which the WAL and then the
    /// checkpoint each wrote: 4 KiB PUTs wrote ~19 KB per request to disk instead of ~12 KB, and ran 20-30% slower
    /// (docs/benchmarks.md).
    /// </summary>
    private string NewInlineBodyId() => "i" + Guid.CreateVersion7(_time.GetUtcNow()).ToString("N");

    private string BodyPath(string bodyId) => Path.Combine(_objectsDirectory, bodyId[..2], bodyId);

    private void DeleteBody(string bodyId) => TryDelete(BodyPath(bodyId));

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException e)
        {
            // Left for the next start's cleanup; the row no longer names it, so it is invisible.
            LogDeleteFailed(path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            LogDeleteFailed(path, e);
        }
    }

    /// <summary>
    /// Compares as SQLite's BINARY collation does (UTF-8 bytes), which is code point order. UTF-16 ordinal order
    /// differs for characters above U+FFFF, which sort before U+E000-U+FFFF there.
    /// </summary>
    internal static int CompareUtf8(string a, string b)
    {
        var left = a.EnumerateRunes();
        var right = b.EnumerateRunes();
        while (true)
        {
            var hasLeft = left.MoveNext();
            var hasRight = right.MoveNext();
            if (!hasLeft || !hasRight)
            {
                return hasLeft ? 1 : hasRight ? -1 : 0;
            }

            var byValue = left.Current.Value.CompareTo(right.Current.Value);
            if (byValue != 0)
            {
                return byValue;
            }
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Kind} {File} left by an earlier run")]
    private partial void LogRemoved(string kind, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {File}; the next start removes it")]
    private partial void LogDeleteFailed(string file, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Body {BodyId} in bucket {Bucket} was replaced while opening; retrying")]
    private partial void LogBodyReplaced(string bucket, string bodyId);
}
