using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Server.Storage;

namespace OssPresign.Server.Tests.Storage;

/// <summary>
/// The data folder's layout: small bodies in the <c>bodies</c> table, deleted with the row that names them; bodies
/// that an earlier version kept in their objects row still served, replaced and deleted; a newer layout refused. A
/// real SQLite store, read beside it with SQL.
/// </summary>
public sealed class ObjectStoreLayoutTests : IDisposable
{
    private static readonly ObjectHeaders NoHeaders = new(null, null, null, null, null, new Dictionary<string, string>());
    private readonly string _directory = TestServer.NewDataDirectory();
    private readonly FakeTimeProvider _time = new(TestServer.Start);
    private ObjectStore _store;

    public ObjectStoreLayoutTests()
    {
        _store = Open();
        _store.EnsureBucket("bucket", "cn-hangzhou", [], replaceCors: false);
    }

    [Fact]
    public async Task ASmallBody_IsDeletedWithItsObject_WhenReplacedByAnyBodyOrDeleted()
    {
        await PutAsync("small-then-small", [1]);
        await PutAsync("small-then-small", [2]);
        await PutAsync("small-then-file", [3]);
        await PutAsync("small-then-file", TestServer.RandomBytes(TestServer.FileBodySize));
        await PutAsync("deleted", [4]);
        _store.DeleteObject("bucket", "deleted");

        Assert.Equal([BodyIdOf("small-then-small")], Query("SELECT body_id FROM bodies"));
        Assert.Equal([2], await ReadAsync("small-then-small"));
        Assert.Single(Directory.GetFiles(Path.Combine(_directory, "objects"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task BodiesKeptInTheirObjectsRow_ByAnEarlierVersion_AreServedReplacedAndDeleted()
    {
        await PutAsync("in-row", [1, 1]);
        await PutAsync("in-row-with-hex-id", [2, 2]);
        await PutAsync("in-bodies", [3, 3]);
        _store.Dispose();

        // As written before the bodies table: the body in objects.body, with an i id (since f575baf) or a hex id.
        Execute("""
            UPDATE objects SET body = (SELECT data FROM bodies WHERE bodies.body_id = objects.body_id) WHERE key LIKE 'in-row%';
            DELETE FROM bodies WHERE body_id IN (SELECT body_id FROM objects WHERE key LIKE 'in-row%');
            UPDATE objects SET body_id = '00112233445566778899aabbccddeeff' WHERE key = 'in-row-with-hex-id';
            """);
        _store = Open();

        Assert.Equal([1, 1], await ReadAsync("in-row"));
        Assert.Equal([2, 2], await ReadAsync("in-row-with-hex-id"));
        Assert.Equal([3, 3], await ReadAsync("in-bodies"));

        await PutAsync("in-row", [4, 4]);
        _store.DeleteObject("bucket", "in-row-with-hex-id");

        Assert.Equal([4, 4], await ReadAsync("in-row"));
        Assert.Null(_store.GetObject("bucket", "in-row-with-hex-id"));
        Assert.Equal([BodyIdOf("in-bodies"), BodyIdOf("in-row")], Query("SELECT body_id FROM bodies ORDER BY body_id"));
        Assert.Equal(["in-bodies", "in-row"], Query("SELECT key FROM objects ORDER BY key"));
    }

    [Fact]
    public async Task AFolderOfANewerLayout_IsRefused_AndLeftAsItWas()
    {
        await PutAsync("kept", [7]);
        _store.Dispose();
        Execute($"PRAGMA user_version = {ObjectStore.LayoutVersion + 1}");

        var error = Assert.Throws<InvalidOperationException>(Open);

        Assert.Contains("newer version", error.Message, StringComparison.Ordinal);
        Assert.Equal([(ObjectStore.LayoutVersion + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)], Query("SELECT CAST(user_version AS TEXT) FROM pragma_user_version"));

        // Not locked by the refused store: once the version is one this code knows, the folder opens with its object.
        Execute($"PRAGMA user_version = {ObjectStore.LayoutVersion}");
        _store = Open();
        Assert.Equal([7], await ReadAsync("kept"));
    }

    [Fact]
    public void ANewFolder_RecordsItsLayout()
    {
        Assert.Equal([ObjectStore.LayoutVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)], Query("SELECT CAST(user_version AS TEXT) FROM pragma_user_version"));
    }

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private ObjectStore Open() => new(_directory, _time, NullLogger<ObjectStore>.Instance);

    private async Task PutAsync(string key, byte[] body)
    {
        // Each body id carries the clock's millisecond; a later PUT gets a later id, as in real time.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        using var stream = new MemoryStream(body);
        var outcome = await _store.PutObjectAsync("bucket", key, stream, body.Length, NoHeaders, null, false, CancellationToken.None);
        Assert.Equal(PutStatus.Created, outcome.Status);
    }

    private async Task<byte[]> ReadAsync(string key)
    {
        var (_, body) = Assert.NotNull(_store.OpenObject("bucket", key));
        await using (body)
        {
            using var copy = new MemoryStream();
            await body.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    private string BodyIdOf(string key)
    {
        var stored = _store.GetObject("bucket", key);
        Assert.NotNull(stored);
        return stored.BodyId;
    }

    private List<string> Query(string sql)
    {
        using var connection = Connect();
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

    private void Execute(string sql)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "metadata.db")};Pooling=False");
        connection.Open();
        return connection;
    }
}
