using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Server.Storage;

namespace OssPresign.Server.Tests.Storage;

/// <summary>Folders fsynced through a real descriptor, and the body folders a store makes durable when it opens.</summary>
public sealed class DirectorySyncTests : IDisposable
{
    private readonly string _directory = TestServer.NewDataDirectory();

    [Fact]
    public void AnExistingFolder_OpensAndFsyncs()
    {
        Directory.CreateDirectory(_directory);

        using var folder = DirectorySync.Open(_directory);

        if (OperatingSystem.IsWindows())
        {
            Assert.Null(folder);
            return;
        }

        Assert.NotNull(folder);
        Assert.False(folder.IsInvalid);
        RandomAccess.FlushToDisk(folder);
    }

    [Fact]
    public void AMissingFolder_IsReportedAsMissing()
    {
        var missing = Path.Combine(_directory, "no-such-folder");
        if (OperatingSystem.IsWindows())
        {
            Assert.Null(DirectorySync.Open(missing)); // Windows cannot fsync a folder, so there is nothing to open
            return;
        }

        var error = Assert.Throws<DirectoryNotFoundException>(() => DirectorySync.Open(missing));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANewStore_HasEveryBodyFolderBeforeItsFirstUpload()
    {
        using (new ObjectStore(_directory, new FakeTimeProvider(TestServer.Start), NullLogger<ObjectStore>.Instance))
        {
            var folders = Directory.GetDirectories(Path.Combine(_directory, "objects")).Select(Path.GetFileName).Order(StringComparer.Ordinal);

            Assert.Equal(Enumerable.Range(0, 256).Select(i => i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)), folders);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
