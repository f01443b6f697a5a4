using System.IO.Hashing;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using OssPresign.Server.Storage;

namespace OssPresign.Server.Tests.Storage;

public sealed partial class ObjectStoreTests
{
    [Theory]
    [InlineData("123456789", 11051210869376104954UL)]
    [InlineData("hello", 11177612005948864433UL)]
    [InlineData("", 0UL)]
    public void Crc64Xz_MatchesTheOssCheckValues(string text, ulong expected) =>
        Assert.Equal(expected, Crc64.HashToUInt64(ObjectStore.Crc64Xz, Encoding.ASCII.GetBytes(text)));

    [Fact]
    public async Task PutObject_ReturnsCrc64AndEtagOfTheBody()
    {
        await using var t = await TestServer.StartAsync();

        using var put = await t.PutAsync("examplebucket", "hello.txt", Encoding.ASCII.GetBytes("hello"));
        using var get = await t.GetAsync("examplebucket", "hello.txt");

        Assert.Equal("11177612005948864433", TestServer.Single(put.Headers, "x-oss-hash-crc64ecma"));
        Assert.Equal("\"5D41402ABC4B2A76B9719D911017C592\"", put.Headers.ETag?.Tag);
        Assert.Equal("11177612005948864433", TestServer.Single(get.Headers, "x-oss-hash-crc64ecma"));
        Assert.Equal("\"5D41402ABC4B2A76B9719D911017C592\"", get.Headers.ETag?.Tag);
        Assert.Equal("XUFAKrxLKna5cZ2REBfFkg==", Convert.ToBase64String(get.Content.Headers.ContentMD5!));
    }

    /// <summary>
    /// Sizes around the store's read boundaries: the 64 KiB first read, the 1 MiB chunks written direct after it, and
    /// the unaligned tail written buffered.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    [InlineData(65_536 + 4096)]
    [InlineData(524_288 + 65_536)]
    [InlineData(524_288 + 65_536 + 1)]
    [InlineData(1_048_576 + 65_536)]
    [InlineData(1_048_576 + 65_536 + 1)]
    [InlineData((3 * 1_048_576) + 12_345)]
    [InlineData((4 * 1_048_576) + 65_536)]
    [InlineData((6 * 1_048_576) + 7)]
    public async Task BodiesOfEverySizeAroundTheChunkBoundaries_AreStoredWhole(int size)
    {
        await using var t = await TestServer.StartAsync();
        var body = TestServer.RandomBytes(size);

        using var put = await t.PutAsync("examplebucket", "sized.bin", body);
        using var get = await t.GetAsync("examplebucket", "sized.bin");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{Convert.ToHexString(System.Security.Cryptography.MD5.HashData(body))}\"", put.Headers.ETag?.Tag);
        Assert.Equal(Crc64.HashToUInt64(ObjectStore.Crc64Xz, body).ToString(System.Globalization.CultureInfo.InvariantCulture),
            TestServer.Single(put.Headers, "x-oss-hash-crc64ecma"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    [InlineData(1_048_576 + 65_536 + 1)]
    public async Task ChunkedBodies_WithoutContentLength_AreStoredWhole(int size)
    {
        await using var t = await TestServer.StartAsync();
        var body = TestServer.RandomBytes(size);
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "chunked.bin" });
        using var request = TestServer.Request(presigned, new ByteArrayContent(body));
        request.Headers.TransferEncodingChunked = true;

        using var put = await t.Http.SendAsync(request);
        using var get = await t.GetAsync("examplebucket", "chunked.bin");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{Convert.ToHexString(System.Security.Cryptography.MD5.HashData(body))}\"", put.Headers.ETag?.Tag);
    }

    private static readonly string[] OddKeys =
    [
        "../../etc/passwd",
        "a",
        "a/b",
        "a//b",
        "./dot/./segments/../x",
        "100%25 literal % and ?#&=+;",
        "tab\tand\u0001control",
        new string('中', 333) + "x",
    ];

    [Fact]
    public async Task OddKeys_AreOrdinaryObjects_StoredUnderGeneratedNames()
    {
        await using var t = await TestServer.StartAsync();
        Assert.Equal(1000, Encoding.UTF8.GetByteCount(new string('中', 333) + "x"));
        // Bodies large enough to be files, so that there are file names to check.
        var bodies = OddKeys.Select(k => (Key: k, Body: (byte[])[.. Encoding.UTF8.GetBytes("body of " + k), .. TestServer.RandomBytes(TestServer.FileBodySize)])).ToList();

        foreach (var (key, body) in bodies)
        {
            using var put = await t.PutAsync("examplebucket", key, body);
            Assert.True(put.StatusCode == HttpStatusCode.OK, $"PUT {key}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        foreach (var (key, body) in bodies)
        {
            using var get = await t.GetAsync("examplebucket", key);
            Assert.True(get.StatusCode == HttpStatusCode.OK, $"GET {key}: {(int)get.StatusCode}");
            Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        }

        var files = Directory.EnumerateFiles(t.DataDirectory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(t.DataDirectory, f)).ToList();
        var bodyFiles = files.Where(f => f.StartsWith("objects" + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();
        Assert.Equal(bodies.Count, bodyFiles.Count);
        Assert.All(bodyFiles, f => Assert.Matches(BodyFileName(), f));
        Assert.DoesNotContain(files, f => f.Contains("passwd", StringComparison.Ordinal) || f.Contains("etc", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeyLongerThan1023Bytes_IsInvalidObjectName()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = new string('k', 1023) });
        var tooLong = presigned.Url.Replace(new string('k', 1023), new string('k', 1024), StringComparison.Ordinal);

        using var response = await t.Http.SendAsync(new HttpRequestMessage(HttpMethod.Put, TestServer.RawUri(tooLong)) { Content = new ByteArrayContent([1]) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidObjectName", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    [Theory]
    [InlineData("examplebucket//a", '/')]
    [InlineData("examplebucket/%5Ca", '\\')]
    public async Task SignedPut_OfAKeyStartingWithSlashOrBackslash_IsInvalidObjectName_AndStoresNothing(string path, char leading)
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        // Signed with the server's key by the library's header signer, which checks no names (PresignAsync refuses
        // these keys): the refusal is for the name, as OSS's is, not for the signature. The same client's PUT of "a"
        // shows the signature would have passed.
        using var put = await http.PutAsync(new Uri(path, UriKind.Relative), new ByteArrayContent([1]));
        using var control = await http.PutAsync(new Uri("examplebucket/a", UriKind.Relative), new ByteArrayContent([1]));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        var error = await TestServer.ErrorAsync(put);
        Assert.Equal("InvalidObjectName", error.Element("Code")?.Value);
        Assert.StartsWith($"The object key starts with '{leading}'", error.Element("Message")?.Value, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, control.StatusCode);
        var listing = XElement.Parse(await http.GetStringAsync(new Uri("/examplebucket/?list-type=2", UriKind.Relative)));
        Assert.Equal(["a"], listing.Elements("Contents").Select(c => c.Element("Key")!.Value));
    }

    [Fact]
    public async Task DotSegmentKey_WithCurlPathAsIs_IsStoredUnderTheExactKey()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "../../etc/passwd" });
        var file = Path.Combine(t.DataDirectory, "passwd-body.txt");
        await File.WriteAllTextAsync(file, "not the real one");

        var (exitCode, output) = await OssPresign.Server.Tests.Auth.PresignedRequestTests.RunCurlAsync("-sS", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "-T", file, presigned.Url);

        Assert.Equal((0, "200"), (exitCode, output));
        using var get = await t.GetAsync("examplebucket", "../../etc/passwd");
        Assert.Equal("not the real one", await get.Content.ReadAsStringAsync());
        using var other = await t.GetAsync("examplebucket", "etc/passwd");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task Restart_KeepsEveryObject()
    {
        await using var t = await TestServer.StartAsync();
        var bodies = Enumerable.Range(0, 20).ToDictionary(i => $"restart/{i:D2}.bin", i => TestServer.RandomBytes(1000 * i));
        foreach (var (key, body) in bodies)
        {
            using var put = await t.PutAsync("examplebucket", key, body);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (var meta = await t.PutAsync("otherbucket", "x", [9]))
        {
            Assert.Equal(HttpStatusCode.OK, meta.StatusCode);
        }

        await t.RestartAsync();

        foreach (var (key, body) in bodies)
        {
            using var get = await t.GetAsync("examplebucket", key);
            Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        }

        using var otherGet = await t.GetAsync("otherbucket", "x");
        Assert.Equal(new byte[] { 9 }, await otherGet.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task SmallBodies_LiveInTheirRow_AndOverwritesAcrossTheLimitLeaveNoFileBehind()
    {
        await using var t = await TestServer.StartAsync();
        var small = TestServer.RandomBytes(TestServer.FileBodySize - 1);
        var large = TestServer.RandomBytes(TestServer.FileBodySize);

        using (var put = await t.PutAsync("examplebucket", "k", small))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Empty(t.BodyFiles());
        await t.RestartAsync();
        using (var get = await t.GetAsync("examplebucket", "k"))
        {
            Assert.Equal(small, await get.Content.ReadAsByteArrayAsync());
        }

        // Small to large: a file appears. Large to small: the replaced file goes.
        using (var put = await t.PutAsync("examplebucket", "k", large))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Single(t.BodyFiles());
        using (var put = await t.PutAsync("examplebucket", "k", small))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // The committer deletes the replaced body just after answering, so the file may still be there for a moment.
        await TestServer.WaitUntilAsync(() => t.BodyFiles().Length == 0, "the replaced body is deleted");
        Assert.Empty(t.BodyFiles());
        using (var get = await t.GetAsync("examplebucket", "k"))
        {
            Assert.Equal(small, await get.Content.ReadAsByteArrayAsync());
        }

        using var http = t.CreateSigningClient();
        using (var delete = await http.DeleteAsync(new Uri("/examplebucket/k", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using var gone = await t.GetAsync("examplebucket", "k");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    /// <summary>
    /// Ids of bodies kept in their row grow with time and sort after every file id, so that the UNIQUE index on
    /// body_id is appended to at its right edge rather than dirtied at a random page per PUT (docs/benchmarks.md).
    /// </summary>
    [Fact]
    public async Task InlineBodyIds_GrowWithTime_AndSortAfterBodyFileIds()
    {
        await using var t = await TestServer.StartAsync();
        using (var put = await t.PutAsync("examplebucket", "file.bin", TestServer.RandomBytes(TestServer.FileBodySize)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        for (var i = 0; i < 5; i++)
        {
            t.Time.Advance(TimeSpan.FromMilliseconds(1));
            using var put = await t.PutAsync("examplebucket", $"small-{i}", [(byte)i]);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // WAL: a reader beside the running server sees every committed row.
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(t.DataDirectory, "metadata.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body_id, body_id NOT IN (SELECT body_id FROM bodies) FROM objects ORDER BY key";
        using var reader = command.ExecuteReader();
        var fileId = string.Empty;
        var inlineIds = new List<string>();
        while (reader.Read())
        {
            if (reader.GetBoolean(1))
            {
                fileId = reader.GetString(0);
            }
            else
            {
                inlineIds.Add(reader.GetString(0));
            }
        }

        Assert.Matches("^[0-9a-f]{32}$", fileId);
        Assert.Equal(5, inlineIds.Count);
        Assert.All(inlineIds, id => Assert.Matches("^i[0-9a-f]{32}$", id));
        Assert.Equal(inlineIds.Order(StringComparer.Ordinal), inlineIds);
        Assert.All(inlineIds, id => Assert.True(string.CompareOrdinal(id, fileId) > 0));
    }

    [Fact]
    public async Task DataFolderFromBeforeInlineBodies_IsMigratedAndKeepsItsObjects()
    {
        await using var t = await TestServer.StartAsync();
        var large = TestServer.RandomBytes(TestServer.FileBodySize + 1);
        using (var put = await t.PutAsync("examplebucket", "old.bin", large))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await t.RestartAsync(o =>
        {
            // The schema as it was: no bodies table, no body column, every body a file.
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(t.DataDirectory, "metadata.db")};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "DROP TRIGGER objects_body_deleted; DROP TRIGGER objects_body_replaced; DROP TABLE bodies; ALTER TABLE objects DROP COLUMN body";
            command.ExecuteNonQuery();
            return o;
        });

        using (var get = await t.GetAsync("examplebucket", "old.bin"))
        {
            Assert.Equal(large, await get.Content.ReadAsByteArrayAsync());
        }

        using (var put = await t.PutAsync("examplebucket", "new.txt", [1, 2, 3]))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var getNew = await t.GetAsync("examplebucket", "new.txt");
        Assert.Equal(new byte[] { 1, 2, 3 }, await getNew.Content.ReadAsByteArrayAsync());
        Assert.Single(t.BodyFiles());
    }

    [Fact]
    public async Task Start_RemovesTempFilesAndOrphanBodies_AndKeepsCommittedObjects()
    {
        await using var t = await TestServer.StartAsync();
        using (var put = await t.PutAsync("examplebucket", "kept.txt", [1, 2, 3]))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var temp = Path.Combine(t.DataDirectory, "tmp", "crashed-upload.tmp");
        var orphan = Path.Combine(t.DataDirectory, "objects", "ab", "ab000000000000000000000000000000");
        await t.RestartAsync(o =>
        {
            // Simulate a crash: files left behind while the server was down.
            File.WriteAllBytes(temp, [1]);
            Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
            File.WriteAllBytes(orphan, [2]);
            return o;
        });

        Assert.False(File.Exists(temp));
        Assert.False(File.Exists(orphan));
        using var get = await t.GetAsync("examplebucket", "kept.txt");
        Assert.Equal(new byte[] { 1, 2, 3 }, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Start_HidesAnObjectWhoseBodyWasLost()
    {
        await using var t = await TestServer.StartAsync();
        using (var put = await t.PutAsync("examplebucket", "lost.txt", TestServer.RandomBytes(TestServer.FileBodySize)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var body = Assert.Single(t.BodyFiles());
        await t.RestartAsync(o =>
        {
            // Simulate a power cut that lost the rename of the body into objects/.
            File.Delete(body);
            return o;
        });

        using var get = await t.GetAsync("examplebucket", "lost.txt");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task BodyDeletedBehindTheServersBack_IsAnInternalErrorInOssXml()
    {
        await using var t = await TestServer.StartAsync();
        using (var put = await t.PutAsync("examplebucket", "vanished.txt", TestServer.RandomBytes(TestServer.FileBodySize)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        File.Delete(Assert.Single(t.BodyFiles()));
        using var get = await t.GetAsync("examplebucket", "vanished.txt");

        Assert.Equal(HttpStatusCode.InternalServerError, get.StatusCode);
        var error = await TestServer.ErrorAsync(get);
        Assert.Equal("InternalError", error.Element("Code")?.Value);
        Assert.DoesNotContain(t.DataDirectory, error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A commit SQLite refuses (here a trigger; on a full disk, "database or disk is full" after the body fitted) came
    /// after the body was renamed into objects/, and left it there, unnamed by any row, until the next start: on a full
    /// disk, space no later upload could use. Found by filling a tmpfs data folder.
    /// </summary>
    [Fact]
    public async Task PutObject_WhoseCommitFails_LeavesNoBodyBehind_AndTheServerKeepsServing()
    {
        await using var t = await TestServer.StartAsync();
        t.ExecuteSql("CREATE TRIGGER refuse_doomed BEFORE INSERT ON objects WHEN NEW.key = 'doomed.bin' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");

        using var doomed = await t.PutAsync("examplebucket", "doomed.bin", TestServer.RandomBytes(2 * TestServer.FileBodySize));
        using var get = await t.GetAsync("examplebucket", "doomed.bin");

        Assert.Equal(HttpStatusCode.InternalServerError, doomed.StatusCode);
        Assert.Equal("InternalError", (await TestServer.ErrorAsync(doomed)).Element("Code")?.Value);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Empty(t.BodyFiles());
        Assert.Empty(Directory.GetFiles(Path.Combine(t.DataDirectory, "tmp")));
        using var next = await t.PutAsync("examplebucket", "next.bin", TestServer.RandomBytes(2 * TestServer.FileBodySize));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Single(t.BodyFiles());
    }

    /// <summary>
    /// A client that sent part of a body and then nothing (a suspended process; a pulled cable sends no FIN) is cut off
    /// after a minute without data, as OSS does. Kestrel's MinRequestBodyDataRate averages over the whole body, so
    /// such a client kept its connection, buffers and temp file for a second per KiB it had sent: a day for 100 MiB.
    /// </summary>
    [Fact]
    public async Task StalledBody_IsCutOffAfterAMinuteWithoutData_AsRequestTimeout_AndLeavesNoTempFile()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "stalled.bin" });
        var tempDirectory = Path.Combine(t.DataDirectory, "tmp");

        var answer = t.SendRawAsync("PUT", presigned.Url, contentLength: 1_000_000, body: TestServer.RandomBytes(200_000), hangUp: false);
        await TestServer.WaitUntilAsync(() => Directory.GetFiles(tempDirectory).Length == 1, "the server is receiving the body");
        t.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(answer.IsCompleted);
        t.Time.Advance(TimeSpan.FromSeconds(16));
        var response = await answer;

        Assert.NotNull(response);
        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        Assert.Contains("<Code>RequestTimeout</Code>", response, StringComparison.Ordinal);
        await TestServer.WaitUntilAsync(() => Directory.GetFiles(tempDirectory).Length == 0, "the server removed the temp file");
        using var get = await t.GetAsync("examplebucket", "stalled.bin");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task InterruptedUpload_LeavesNothingVisibleAndNoTempFile()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "interrupted.bin" });
        var tempDirectory = Path.Combine(t.DataDirectory, "tmp");

        var response = await t.SendRawAsync("PUT", presigned.Url, contentLength: 1_000_000, body: TestServer.RandomBytes(100_000), hangUp: true);

        Assert.Null(response);
        await TestServer.WaitUntilAsync(() => Directory.GetFiles(tempDirectory).Length == 0, "the server removed the temp file");
        using var get = await t.GetAsync("examplebucket", "interrupted.bin");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(t.DataDirectory, "objects"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ConcurrentPutsToOneKey_LeaveOneWholeWinner()
    {
        await using var t = await TestServer.StartAsync();
        var bodies = Enumerable.Range(0, 8).Select(i => TestServer.RandomBytes(400_000 + i)).ToList();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "contended.bin" });

        var responses = await Task.WhenAll(bodies.Select(b => t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent(b)))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        using var get = await t.GetAsync("examplebucket", "contended.bin");
        var stored = await get.Content.ReadAsByteArrayAsync();
        Assert.Contains(bodies, b => b.AsSpan().SequenceEqual(stored));

        // The losers' bodies are deleted just after their batch is answered, not before.
        await TestServer.WaitUntilAsync(() => t.BodyFiles().Length == 1, "the replaced bodies are deleted");
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task ConcurrentPutsWithForbidOverwrite_OneWinsAndTheOthersGet409()
    {
        await using var t = await TestServer.StartAsync();
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "first-wins.bin", ForbidOverwrite = true });
        var bodies = Enumerable.Range(0, 6).Select(i => TestServer.RandomBytes(300_000 + i)).ToList();

        var responses = await Task.WhenAll(bodies.Select(b => t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent(b)))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var winner = bodies[Array.FindIndex(responses, r => r.StatusCode == HttpStatusCode.OK)];
        using var get = await t.GetAsync("examplebucket", "first-wins.bin");
        Assert.Equal(winner, await get.Content.ReadAsByteArrayAsync());
        Assert.Single(Directory.EnumerateFiles(Path.Combine(t.DataDirectory, "objects"), "*", SearchOption.AllDirectories));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task ReadsDuringOverwrites_AlwaysSeeOneWholeVersion()
    {
        await using var t = await TestServer.StartAsync();
        var versions = Enumerable.Range(0, 2).Select(_ => TestServer.RandomBytes(500_000)).ToList();
        using (var first = await t.PutAsync("examplebucket", "hot.bin", versions[0]))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var presignedGet = await t.Client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "hot.bin" });
        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 20; i++)
            {
                using var put = await t.PutAsync("examplebucket", "hot.bin", versions[i % 2]);
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }
        });
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                using var response = await t.Http.SendAsync(TestServer.Request(presignedGet));
                var read = await response.Content.ReadAsByteArrayAsync();
                Assert.Contains(versions, v => v.AsSpan().SequenceEqual(read));
            }
        }));

        await Task.WhenAll(readers.Append(writer));
    }

    [GeneratedRegex(@"^objects/[0-9a-f]{2}/[0-9a-f]{32}$")]
    private static partial Regex BodyFileName();
}
