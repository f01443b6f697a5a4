using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Server.Storage;

namespace OssPresign.Server.Tests.Storage;

/// <summary>
/// The WAL checkpoint off the committer's thread: under concurrent small PUTs the WAL stays bounded and the pages
/// reach the database file; when the checkpoint thread cannot run, the committer checkpoints alone. Real SQLite
/// files, sized on disk.
/// </summary>
public sealed class WalCheckpointerTests : IDisposable
{
    private static readonly ObjectHeaders NoHeaders = new(null, null, null, null, null, new Dictionary<string, string>());
    private readonly string _directory = TestServer.NewDataDirectory();

    [Fact]
    public async Task ConcurrentSmallPuts_KeepTheWalBounded_AndTheirPagesReachTheDatabaseFile()
    {
        const int objects = 2_400;
        const int bodySize = 8 * 1024; // ~20 MB in all: five times the checkpoint interval
        var bodies = Enumerable.Range(0, objects).Select(i => TestServer.RandomBytes(bodySize)).ToArray();
        var store = new ObjectStore(_directory, new FakeTimeProvider(TestServer.Start), NullLogger<ObjectStore>.Instance);
        try
        {
            store.EnsureBucket("bucket", "cn-hangzhou", [], replaceCors: false);
            var next = -1;
            var largestWal = 0L;
            await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
            {
                for (var i = Interlocked.Increment(ref next); i < objects; i = Interlocked.Increment(ref next))
                {
                    using var body = new MemoryStream(bodies[i]);
                    var outcome = await store.PutObjectAsync("bucket", $"k{i}", body, bodySize, NoHeaders, null, false, CancellationToken.None);
                    Assert.Equal(PutStatus.Created, outcome.Status);
                    var wal = new FileInfo(Path.Combine(_directory, "metadata.db-wal")).Length;
                    InterlockedMax(ref largestWal, wal);
                }
            })));

            // Without checkpoints the WAL would hold all ~20 MB, and without the committer's part it grew to ~50 MB (it
            // never restarted). Here it holds the ~4 MB of a checkpoint interval and what is committed while the
            // checkpoint runs: 4.5-6.2 MB measured with 4 to 32 writers; 16 MB leaves room for a slow disk.
            Assert.InRange(largestWal, 1, 4 * WalCheckpointer.CheckpointAfterPages * 4096L);
            Assert.True(new FileInfo(Path.Combine(_directory, "metadata.db")).Length > objects * bodySize / 2);
            Assert.True(store.BackgroundCheckpoints > 0);
        }
        finally
        {
            store.Dispose();
        }

        store = new ObjectStore(_directory, new FakeTimeProvider(TestServer.Start), NullLogger<ObjectStore>.Instance);
        try
        {
            foreach (var i in new[] { 0, objects / 2, objects - 1 })
            {
                var (_, body) = Assert.NotNull(store.OpenObject("bucket", $"k{i}"));
                await using (body)
                {
                    using var copy = new MemoryStream();
                    await body.CopyToAsync(copy);
                    Assert.Equal(bodies[i], copy.ToArray());
                }
            }
        }
        finally
        {
            store.Dispose();
        }
    }

    [Fact]
    public void WhenTheCheckpointThreadIsStuck_TheCommitterCheckpointsAlone()
    {
        using var unstuck = new ManualResetEventSlim();
        using var committer = OpenCommitter();
        var database = new FileInfo(DatabasePath);
        var checkpointer = new WalCheckpointer(() => { unstuck.Wait(); return Open(); }, NullLogger.Instance);
        try
        {
            // Enough pages to ask the thread, which hangs in its open: nothing is copied.
            WritePages(committer, WalCheckpointer.CheckpointAfterPages);
            database.Refresh();
            var before = database.Length;
            checkpointer.Committed(committer);
            database.Refresh();
            Assert.Equal(WalCheckpointer.Running, checkpointer.State);
            Assert.Equal(before, database.Length);

            // Past the bound, the committer copies them itself.
            WritePages(committer, WalCheckpointer.CommitterCheckpointsAfterPages - WalCheckpointer.CheckpointAfterPages);
            checkpointer.Committed(committer);
            database.Refresh();
            Assert.True(database.Length > before + (16L * 1024 * 1024), $"database file: {database.Length} bytes");
        }
        finally
        {
            unstuck.Set();
            checkpointer.Dispose();
        }
    }

    [Fact]
    public void WhenTheCheckpointThreadFails_TheCommittersNextCheckpointCopiesEverything()
    {
        using var committer = OpenCommitter();
        var database = new FileInfo(DatabasePath);
        using var failed = new ManualResetEventSlim();
        var checkpointer = new WalCheckpointer(() => { failed.Set(); throw new SqliteException("disk I/O error", 10); }, NullLogger.Instance);
        try
        {
            WritePages(committer, WalCheckpointer.CheckpointAfterPages);
            database.Refresh();
            var before = database.Length;
            checkpointer.Committed(committer);
            Assert.True(failed.Wait(TimeSpan.FromSeconds(30)));
            Assert.True(SpinWait.SpinUntil(() => checkpointer.State == WalCheckpointer.Done, TimeSpan.FromSeconds(30)));

            // The next commit, however small, finds the thread done and copies what it did not.
            checkpointer.Committed(committer);
            database.Refresh();
            Assert.True(database.Length > before + (2L * 1024 * 1024), $"database file: {database.Length} bytes");
            Assert.Equal(0, checkpointer.BackgroundCheckpoints);
        }
        finally
        {
            checkpointer.Dispose();
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string DatabasePath => Path.Combine(_directory, "metadata.db");

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>A committer's connection, as the store's: WAL, no automatic checkpoints.</summary>
    private SqliteConnection OpenCommitter()
    {
        Directory.CreateDirectory(_directory);
        var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            """
            PRAGMA journal_mode = WAL;
            PRAGMA wal_autocheckpoint = 0;
            CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
            """;
        command.ExecuteNonQuery();
        WalCheckpointer.PagesWrittenSinceLastCall(connection);
        return connection;
    }

    /// <summary>Commits at least <paramref name="pages"/> pages to the WAL: each 4,000-byte blob takes one and a bit.</summary>
    private static void WritePages(SqliteConnection connection, int pages)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
            INSERT INTO blobs (data) SELECT randomblob(4000) FROM n;
            """;
        command.Parameters.AddWithValue("$rows", pages);
        command.ExecuteNonQuery();
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
