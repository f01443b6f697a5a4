using Microsoft.Data.Sqlite;

namespace OssPresign.Reliability.Tests;

/// <summary>
/// Reads the layout of a server's data folder (Storage/ObjectStore.cs): <c>metadata.db</c> (SQLite, WAL),
/// <c>tmp/</c> (uploads in progress) and <c>objects/xx/&lt;body id&gt;</c> (committed bodies of 64 KiB or more, and the
/// parts of multipart uploads; shorter bodies are in SQLite's <c>bodies</c> table, or in their objects row when an
/// earlier version wrote them).
/// </summary>
internal sealed class DataFolder(string path)
{
    /// <summary>Every top-level entry a store may leave: anything else would be a leak.</summary>
    private static readonly HashSet<string> KnownEntries = new(StringComparer.Ordinal)
    {
        "metadata.db", "metadata.db-wal", "metadata.db-shm", "server.lock", "tmp", "objects",
    };

    public string Path { get; } = path;

    public static string CreateTemporary() =>
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "oss-reliability-" + Guid.NewGuid().ToString("N"));

    public IReadOnlyList<string> TempFiles() => Directory.GetFiles(System.IO.Path.Combine(Path, "tmp"));

    public IReadOnlyList<string> BodyFiles() =>
        Directory.GetFiles(System.IO.Path.Combine(Path, "objects"), "*", SearchOption.AllDirectories);

    public IReadOnlyList<string> UnknownEntries() =>
        [.. Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Where(n => !KnownEntries.Contains(n!)).Select(n => n!)];

    /// <summary>
    /// The body files the committed rows name: objects whose body is not kept in SQLite, and the parts of multipart
    /// uploads in progress; read while the server may be running (WAL readers do not block).
    /// </summary>
    public IReadOnlyList<string> CommittedBodyFiles() =>
        Query("SELECT body_id FROM objects WHERE body IS NULL AND substr(body_id, 1, 1) <> 'i' UNION ALL SELECT body_id FROM parts");

    /// <summary>
    /// What is wrong between the objects and the small bodies kept in SQLite: rows of <c>bodies</c> no object names
    /// (a leak) and objects whose body should be there and is not (a loss).
    /// </summary>
    public IReadOnlyList<string> SmallBodyMismatches() => Query(
        """
        SELECT 'unnamed body ' || body_id FROM bodies WHERE body_id NOT IN (SELECT body_id FROM objects)
        UNION ALL
        SELECT 'missing body of ' || key FROM objects
        WHERE body IS NULL AND substr(body_id, 1, 1) = 'i' AND body_id NOT IN (SELECT body_id FROM bodies)
        """);

    private List<string> Query(string sql)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = System.IO.Path.Combine(Path, "metadata.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>
    /// Asserts the folder is clean: no upload left in <c>tmp/</c>, no unknown entry, the body files are exactly the
    /// bodies the committed rows name (no orphan body, no row without a body), and so are the small bodies in SQLite.
    /// </summary>
    public void AssertNoOrphans()
    {
        Assert.Empty(TempFiles());
        Assert.Empty(UnknownEntries());
        var files = BodyFiles().Select(f => System.IO.Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        var committed = CommittedBodyFiles().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(committed, files);
        Assert.Empty(SmallBodyMismatches());
    }

    /// <summary>
    /// <see cref="AssertNoOrphans"/> once the running server has settled: it deletes an overwritten body, and the temp
    /// file of a request whose client vanished, just after answering.
    /// </summary>
    public async Task AssertNoOrphansEventuallyAsync()
    {
        await Eventually.WaitUntilAsync(() => TempFiles().Count == 0 && BodyFiles().Count == CommittedBodyFiles().Count, "the data folder settles");
        AssertNoOrphans();
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; failing a passed test over it is not.
        }
    }
}
