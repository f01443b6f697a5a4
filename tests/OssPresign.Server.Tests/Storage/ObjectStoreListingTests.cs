using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Server.Storage;

namespace OssPresign.Server.Tests.Storage;

/// <summary>The listing engine on a real SQLite store, without HTTP: grouping, resumption, byte order.</summary>
public sealed class ObjectStoreListingTests : IDisposable
{
    private static readonly string MaxChar = char.ConvertFromUtf32(0x10FFFF);
    private readonly string _directory = TestServer.NewDataDirectory();
    private readonly ObjectStore _store;

    public ObjectStoreListingTests()
    {
        _store = new ObjectStore(_directory, new FakeTimeProvider(TestServer.Start), NullLogger<ObjectStore>.Instance);
        _store.EnsureBucket("bucket", "cn-hangzhou", [], replaceCors: false);
    }

    [Fact]
    public async Task ABodyEndingBeforeItsDeclaredLength_FailsAndCommitsNothing()
    {
        // Kestrel enforces Content-Length itself; the store does not rely on it to never keep a short body whole.
        using var body = new MemoryStream([1, 2, 3]);

        await Assert.ThrowsAsync<EndOfStreamException>(() => _store.PutObjectAsync(
            "bucket", "short", body, 5, new ObjectHeaders(null, null, null, null, null, new Dictionary<string, string>()), null, false, CancellationToken.None));

        Assert.Null(_store.GetObject("bucket", "short"));
    }

    [Fact]
    public async Task Keys_AreListedInUtf8ByteOrder()
    {
        // UTF-16 ordinal order puts U+FF5E before U+10000 (a surrogate pair); UTF-8 byte order, OSS's, does not.
        string[] keys = ["\uFF5E", "\U00010000", "a", "B", "é"];
        await PutAsync(keys);

        var listed = _store.ListObjects("bucket", string.Empty, string.Empty, null, false, 1000).Entries.Select(e => e.Key);

        Assert.Equal(["B", "a", "é", "\uFF5E", "\U00010000"], listed);
    }

    [Fact]
    public async Task CommonPrefix_SwallowsEveryKeyUnderIt_EvenAfterTheMaxCharacter()
    {
        await PutAsync("p/a", "p/" + MaxChar, "p/" + MaxChar + "z", "p/" + MaxChar + MaxChar + "/deep", "q");

        var page = _store.ListObjects("bucket", string.Empty, "/", null, false, 1000);

        Assert.Equal([("p/", true), ("q", false)], page.Entries.Select(e => (e.Key, e.IsCommonPrefix)));
        Assert.False(page.IsTruncated);
    }

    [Fact]
    public async Task ResumingAfterACommonPrefix_DoesNotRepeatIt()
    {
        await PutAsync("a/1", "a/2", "b/1", "b/" + MaxChar + "x", "c");

        var first = _store.ListObjects("bucket", string.Empty, "/", null, false, 1);
        var second = _store.ListObjects("bucket", string.Empty, "/", first.Entries[^1].Key, true, 1);
        var third = _store.ListObjects("bucket", string.Empty, "/", second.Entries[^1].Key, true, 5);

        Assert.Equal(["a/"], first.Entries.Select(e => e.Key));
        Assert.Equal(["b/"], second.Entries.Select(e => e.Key));
        Assert.Equal(["c"], third.Entries.Select(e => e.Key));
        Assert.True(first.IsTruncated);
        Assert.True(second.IsTruncated);
        Assert.False(third.IsTruncated);
    }

    [Fact]
    public async Task Prefix_StopsAtTheFirstKeyOutsideIt_AndMultiCharacterDelimitersGroup()
    {
        await PutAsync("logs--2024--a", "logs--2024--b", "logs--2025", "logsx", "m");

        var page = _store.ListObjects("bucket", "logs--", "--", null, false, 10);

        Assert.Equal([("logs--2024--", true), ("logs--2025", false)], page.Entries.Select(e => (e.Key, e.IsCommonPrefix)));
    }

    [Fact]
    public async Task ManyKeys_AcrossInternalBatches_ArePagedExactly()
    {
        var keys = Enumerable.Range(0, 1050).Select(i => $"k{i:D5}").ToArray();
        await PutAsync(keys);

        var all = new List<string>();
        string? after = null;
        ListPage page;
        do
        {
            page = _store.ListObjects("bucket", string.Empty, string.Empty, after, false, 1000);
            all.AddRange(page.Entries.Select(e => e.Key));
            after = page.Entries.Count > 0 ? page.Entries[^1].Key : null;
        }
        while (page.IsTruncated);

        Assert.Equal(keys, all);
    }

    [Fact]
    public async Task StartAfter_AboveTheBmp_IsComparedInUtf8Order()
    {
        // In UTF-16 order "\U00010000" sorts before "\uFF5E"; in UTF-8 order (OSS's) it sorts after.
        await PutAsync("\uFF5E1", "\uFF5E2", "\U00010000", "\U00010001");

        var page = _store.ListObjects("bucket", "\uFF5E", string.Empty, "\U00010000", false, 10);
        var later = _store.ListObjects("bucket", string.Empty, string.Empty, "\U00010000", false, 10);

        Assert.Empty(page.Entries);
        Assert.Equal(["\U00010001"], later.Entries.Select(e => e.Key));
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("b", "a", 1)]
    [InlineData("a", "a", 0)]
    [InlineData("a", "ab", -1)]
    [InlineData("\uFF5E", "\U00010000", -1)]
    public void CompareUtf8_IsCodePointOrder(string a, string b, int expected) => Assert.Equal(expected, Math.Sign(ObjectStore.CompareUtf8(a, b)));

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task PutAsync(params string[] keys)
    {
        var headers = new ObjectHeaders(null, null, null, null, null, new Dictionary<string, string>());
        foreach (var key in keys)
        {
            using var body = new MemoryStream([1]);
            var outcome = await _store.PutObjectAsync("bucket", key, body, body.Length, headers, null, false, CancellationToken.None);
            Assert.Equal(PutStatus.Created, outcome.Status);
        }
    }
}
