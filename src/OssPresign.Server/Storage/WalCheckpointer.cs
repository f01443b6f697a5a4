using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace OssPresign.Server.Storage;

/// <summary>
/// Checkpoints the SQLite WAL on a thread of its own, so that the committer, the one thread every PutObject waits
/// for, does not copy pages into the database file itself.
/// </summary>
/// <remarks>
/// <para>
/// By default SQLite checkpoints on the connection that commits: every ~1,000 pages, the commit that crossed the line
/// read them back from the WAL, wrote them into the database file and fsynced it while every upload waited, and the
/// committer's CPU per row is what sets the rate of small PUTs (docs/benchmarks.md, sixth round). The committer's
/// connection therefore runs with <c>wal_autocheckpoint = 0</c> and calls <see cref="Committed"/> after each commit,
/// which counts the pages that connection wrote to the WAL (SQLite's <c>SQLITE_DBSTATUS_CACHE_WRITE</c>):
/// </para>
/// <list type="number">
/// <item>Once <see cref="CheckpointAfterPages"/> were committed since the last complete checkpoint, this thread runs a
/// PASSIVE checkpoint. It copies the frames committed so far and does not block the committer.</item>
/// <item>At its next commit after that, the committer runs a PASSIVE checkpoint itself, which copies only the frames
/// committed meanwhile. With every frame copied, its next transaction restarts the WAL from the beginning. A
/// checkpoint that this thread ran alone would always lag by the frames committed during it, so the WAL would never
/// be wholly copied when a transaction starts, and it would grow for as long as the load lasts.</item>
/// </list>
/// <para>
/// Should this thread fail, or fall behind, the committer checkpoints alone once
/// <see cref="CommitterCheckpointsAfterPages"/> are waiting: the WAL stays bounded either way. A checkpoint changes
/// where committed pages are, never whether they are durable: a failed one leaves them in the WAL.
/// </para>
/// </remarks>
internal sealed partial class WalCheckpointer : IDisposable
{
    /// <summary>SQLite's own default between automatic checkpoints: 1,000 pages (~4 MB with 4 KiB pages).</summary>
    internal const int CheckpointAfterPages = 1000;

    /// <summary>The bound on what waits in the WAL when this thread does not keep up.</summary>
    internal const int CommitterCheckpointsAfterPages = 8 * CheckpointAfterPages;

    /// <summary><c>SQLITE_DBSTATUS_CACHE_WRITE</c>: in WAL mode, the pages a connection wrote to the WAL.</summary>
    private const int PagesWrittenToWal = 9;

    /// <summary>States: nothing asked of the thread; a checkpoint asked or running; finished, the committer's turn.</summary>
    internal const int Idle = 0;

    /// <inheritdoc cref="Idle"/>
    internal const int Running = 1;

    /// <inheritdoc cref="Idle"/>
    internal const int Done = 2;

    private readonly Func<SqliteConnection> _open;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wanted = new(0);
    private readonly Thread _thread;
    private int _state;
    private volatile bool _stopping;

    private int _backgroundCheckpoints;

    // Read and written by the committer's thread only.
    private long _pagesSinceCheckpoint;

    /// <summary>Starts the checkpoint thread.</summary>
    /// <param name="open">Opens a connection to the database, for this thread's checkpoints.</param>
    /// <param name="logger">Where failed checkpoints are reported.</param>
    public WalCheckpointer(Func<SqliteConnection> open, ILogger logger)
    {
        _open = open;
        _logger = logger;
        _thread = new Thread(Run, maxStackSize: 256 * 1024) { IsBackground = true, Name = "ObjectStore checkpointer" };
        _thread.Start();
    }

    /// <summary>The state (<see cref="Idle"/>, <see cref="Running"/> or <see cref="Done"/>); for tests.</summary>
    internal int State => Volatile.Read(ref _state);

    /// <summary>How many checkpoints this thread has completed; for tests.</summary>
    internal int BackgroundCheckpoints => Volatile.Read(ref _backgroundCheckpoints);

    /// <summary>Called by the committer after each commit on its own connection.</summary>
    public void Committed(SqliteConnection committer)
    {
        _pagesSinceCheckpoint += PagesWrittenSinceLastCall(committer);
        var state = Volatile.Read(ref _state);
        if (state == Done)
        {
            Volatile.Write(ref _state, Idle);
            CheckpointOnCommitter(committer);
        }
        else if (state == Idle && _pagesSinceCheckpoint >= CheckpointAfterPages)
        {
            Volatile.Write(ref _state, Running);
            _wanted.Release();
        }
        else if (_pagesSinceCheckpoint >= CommitterCheckpointsAfterPages)
        {
            CheckpointOnCommitter(committer);
        }
    }

    /// <summary>Stops the thread after the checkpoint it is running, if any. Call after the committer has stopped.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wanted.Release();
        _thread.Join();
        _wanted.Dispose();
    }

    /// <summary>Runs a PASSIVE checkpoint.</summary>
    /// <returns>True when every frame of the WAL is now in the database file.</returns>
    internal static bool Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var reader = command.ExecuteReader();
        reader.Read();

        // busy, frames in the WAL, frames copied; busy when another connection was checkpointing.
        return reader.GetInt64(0) == 0 && reader.GetInt64(1) == reader.GetInt64(2);
    }

    /// <summary>The pages <paramref name="connection"/> wrote to the WAL since the last call; resets SQLite's count.</summary>
    /// <remarks>
    /// Should SQLite not tell (it does for every open connection), a commit counts as 64 pages, so that checkpoints
    /// still come: a count of 0 would let the WAL grow without end.
    /// </remarks>
    internal static int PagesWrittenSinceLastCall(SqliteConnection connection)
    {
        var rc = raw.sqlite3_db_status(connection.Handle, PagesWrittenToWal, out var pages, out _, 1);
        return rc == raw.SQLITE_OK ? pages : 64;
    }

    private void CheckpointOnCommitter(SqliteConnection committer)
    {
        try
        {
            if (Checkpoint(committer))
            {
                _pagesSinceCheckpoint = 0;
            }
        }
        catch (SqliteException e)
        {
            // The rows are committed; their pages wait in the WAL for the next checkpoint.
            LogFailed(e);
        }
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        try
        {
            while (true)
            {
                _wanted.Wait();
                if (_stopping)
                {
                    return;
                }

                try
                {
                    connection ??= _open();
                    Checkpoint(connection);
                    Interlocked.Increment(ref _backgroundCheckpoints);
                }
                catch (Exception e)
                {
                    // The committer's checkpoint, next, copies what this one did not. A fresh connection next time.
                    LogFailed(e);
                    connection?.Dispose();
                    connection = null;
                }
                finally
                {
                    Volatile.Write(ref _state, Done);
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A WAL checkpoint failed; the committed rows stay in the WAL until the next one")]
    private partial void LogFailed(Exception exception);
}
