using OssPresign.Server.Storage;

namespace OssPresign.Server.Tests.Storage;

public sealed class FileRangeCopyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("oss-copy-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Copy_WritesEachFileAtItsOffset(bool inKernel)
    {
        var random = new Random(3);
        var first = new byte[(1 << 20) + 123];
        var second = new byte[5000];
        random.NextBytes(first);
        random.NextBytes(second);
        var target = Path.Combine(_folder, "joined");

        using (var output = File.OpenHandle(target, FileMode.CreateNew, FileAccess.Write))
        using (var firstFile = Open(first))
        using (var secondFile = Open(second))
        using (var emptyFile = Open([]))
        {
            FileRangeCopy.Copy(firstFile, output, 0, first.Length, inKernel);
            FileRangeCopy.Copy(secondFile, output, first.Length, second.Length, inKernel);
            FileRangeCopy.Copy(emptyFile, output, first.Length + second.Length, 0, inKernel);
        }

        Assert.Equal([.. first, .. second], File.ReadAllBytes(target));
    }

    [Theory]
    [InlineData(true, 99)]
    [InlineData(true, 101)]
    [InlineData(false, 99)]
    [InlineData(false, 101)]
    public void Copy_OfAFileOfAnotherSizeThanRecorded_Throws(bool inKernel, int recorded)
    {
        using var output = File.OpenHandle(Path.Combine(_folder, "joined"), FileMode.CreateNew, FileAccess.Write);
        using var part = Open(new byte[100]);

        var error = Assert.Throws<IOException>(() => FileRangeCopy.Copy(part, output, 0, recorded, inKernel));

        Assert.Contains($"100 bytes on disk; {recorded} were recorded", error.Message, StringComparison.Ordinal);
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle Open(byte[] content)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, content);
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read);
    }
}
