namespace OssPresign.Cli.Tests;

internal static class TempFile
{
    /// <summary>A temporary file of <paramref name="length"/> pseudo-random bytes, written in 1 MiB chunks.</summary>
    public static string Create(long length)
    {
        var path = Path.Combine(Path.GetTempPath(), "oss-cli-" + Guid.NewGuid().ToString("N") + ".bin");
        var random = new Random(42);
        var chunk = new byte[1024 * 1024];
        using var file = File.Create(path);
        for (long written = 0; written < length; written += chunk.Length)
        {
            random.NextBytes(chunk);
            file.Write(chunk, 0, (int)Math.Min(chunk.Length, length - written));
        }

        return path;
    }
}
