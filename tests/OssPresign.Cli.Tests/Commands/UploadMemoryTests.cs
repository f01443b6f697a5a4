using System.Security.Cryptography;
using System.Text.Json;

namespace OssPresign.Cli.Tests.Commands;

/// <summary>Alone in its collection: other tests allocating in parallel would blur the heap measurement.</summary>
[CollectionDefinition(nameof(UploadMemoryTests), DisableParallelization = true)]
public sealed class UploadMemoryTestGroup;

[Collection(nameof(UploadMemoryTests))]
public sealed class UploadMemoryTests(LocalServerFixture fixture) : IClassFixture<LocalServerFixture>
{
    private const long FileSize = 100L * 1024 * 1024;

    // A 100 MiB body held in memory anywhere in the process (client or server) would show as 100 MiB of heap growth;
    // streaming keeps it to pooled buffers and garbage the GC reclaims as it goes.
    private const long MaxHeapGrowth = 40L * 1024 * 1024;

    [Fact]
    public async Task Upload_100MiBFile_KeepsTheManagedHeapFlat()
    {
        var file = TempFile.Create(FileSize);
        try
        {
            var presign = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs("big/100MiB.bin", "--json"));
            using var json = JsonDocument.Parse(presign.Out);
            var url = json.RootElement.GetProperty("url").GetString()!;

            var baseline = GC.GetTotalMemory(forceFullCollection: true);
            var peak = baseline;
            using var done = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                // Samples the heap while the upload runs; the loop ends with the upload, it does not wait for time.
                while (!done.IsCancellationRequested)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                    await Task.Yield();
                }
            });

            var run = await CliHarness.RunAsync(fixture.Environment, null, ["upload", url, file]);
            await done.CancelAsync();
            await sampler;

            Assert.True(run.ExitCode == 0, run.Error);
            Assert.True(peak - baseline < MaxHeapGrowth, $"The heap grew by {(peak - baseline) / (1024 * 1024)} MiB during a {FileSize / (1024 * 1024)} MiB upload.");

            // The server's ETag is the MD5 of what it stored: the file arrived whole.
            await using var stream = File.OpenRead(file);
#pragma warning disable CA5351 // OSS defines the ETag of a PutObject as the body's MD5 (OSS-V4.md §7); not a security use.
            var md5 = Convert.ToHexString(await MD5.HashDataAsync(stream));
#pragma warning restore CA5351
            Assert.Contains($"ETag:        \"{md5}\"", run.Out, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
