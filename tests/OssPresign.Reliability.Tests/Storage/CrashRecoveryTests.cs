using System.Net;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace OssPresign.Reliability.Tests.Storage;

/// <summary>
/// Kill -9 during concurrent uploads (ObjectStore: temp file, fsync, rename, SQLite commit; cleanup on start): every
/// acknowledged upload survives byte for byte, no partial object is ever visible, and no orphan file remains.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int UploadsPerRound = 32;

    [Fact]
    public async Task KillDuringConcurrentUploads_RestartKeepsEveryAcknowledgedUpload_AndLeavesNoPartialOrOrphan()
    {
        var rounds = Stress.Pick(5, 20);
        var maxSize = Stress.Pick(2 * 1024 * 1024, 16 * 1024 * 1024);
        var random = new Random(Stress.Seed);
        output.WriteLine($"seed {Stress.Seed} ({Stress.Variable}_SEED replays it), {rounds} rounds of {UploadsPerRound} uploads, up to {maxSize} bytes");
        var folder = new DataFolder(DataFolder.CreateTemporary());
        var acknowledged = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int totalAcknowledged = 0, totalCut = 0, totalCommittedUnacknowledged = 0;
        var server = await ChildServer.StartAsync(folder.Path);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromMinutes(2) };
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                var uploads = new List<Upload>();
                for (var i = 0; i < UploadsPerRound; i++)
                {
                    // About a third are held after their first half, so the kill always cuts bodies in the middle.
                    var body = RandomBody(random, maxSize);
                    uploads.Add(new Upload($"round{round}/upload{i:D2}-{random.Next():x8}.bin", body, Gated: body.Length >= 2 && random.Next(3) == 0));
                }

                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var client = server.CreateClient();
                var tasks = new List<Task<HttpStatusCode?>>();
                foreach (var upload in uploads)
                {
                    var presigned = await client.PresignAsync(new PutObjectRequest { Bucket = ChildServer.Bucket, Key = upload.Key });
                    tasks.Add(SendAsync(http, presigned, upload, gate.Task));
                }

                // Kill once the held uploads are mid-body and a random number of the others have been answered: some
                // rounds kill before any answer, some after all, most while bodies are streaming or committing.
                await Task.WhenAll(uploads.Where(u => u.Gated).Select(u => u.FirstChunkSent.Task));
                var ungated = tasks.Where((_, i) => !uploads[i].Gated).ToList();
                var answersBeforeKill = random.Next(ungated.Count + 1);
                await ChildServer.WhenCountAsync(ungated, answersBeforeKill);
                await server.KillAsync();
                gate.SetResult();
                var statuses = await Task.WhenAll(tasks);

                await server.DisposeAsync();
                server = await ChildServer.StartAsync(folder.Path);
                client = server.CreateClient();

                for (var i = 0; i < uploads.Count; i++)
                {
                    if (statuses[i] == HttpStatusCode.OK)
                    {
                        Assert.False(uploads[i].Gated, "a held upload cannot have completed before the kill");
                        acknowledged[uploads[i].Key] = uploads[i].Body;
                        totalAcknowledged++;
                        continue;
                    }

                    // Not acknowledged: either absent, or committed whole just before the kill (the answer was lost).
                    Assert.True(statuses[i] is null, $"{uploads[i].Key}: unexpected status {statuses[i]}");
                    totalCut++;
                    var (status, body) = await ChildServer.GetAsync(http, client, uploads[i].Key);
                    if (status == HttpStatusCode.OK)
                    {
                        Assert.True(uploads[i].Body.AsSpan().SequenceEqual(body), $"{uploads[i].Key}: a partial or foreign body is visible");
                        totalCommittedUnacknowledged++;
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.NotFound, status);
                    }
                }

                // Every acknowledged upload of every round so far, not just this one: a later crash must not lose an earlier one.
                foreach (var (key, expected) in acknowledged)
                {
                    var (status, body) = await ChildServer.GetAsync(http, client, key);
                    Assert.True(status == HttpStatusCode.OK, $"{key}: acknowledged but {status} after restart");
                    Assert.True(expected.AsSpan().SequenceEqual(body), $"{key}: acknowledged but not byte-equal after restart");
                }

                folder.AssertNoOrphans();
                output.WriteLine($"round {round}: killed after {answersBeforeKill} answers; acknowledged {statuses.Count(s => s == HttpStatusCode.OK)}, " +
                    $"cut {statuses.Count(s => s is null)}, bodies on disk {folder.BodyFiles().Count}");
            }

            output.WriteLine($"total: {rounds} kills, {rounds * UploadsPerRound} uploads, {totalAcknowledged} acknowledged and verified, " +
                $"{totalCut} cut ({totalCommittedUnacknowledged} of them committed whole before the answer was lost), 0 lost, 0 partial, 0 orphans");
        }
        finally
        {
            await server.DisposeAsync();
            folder.Delete();
            File.Delete(ChildServer.ConfigFile(folder.Path));
        }
    }

    private static byte[] RandomBody(Random random, int maxSize)
    {
        // Empty, tiny and large bodies: the edge sizes and the buffer boundaries of the store's 256 KiB copy loop.
        var size = random.Next(6) switch
        {
            0 => 0,
            1 => random.Next(1, 100),
            2 => 256 * 1024 + random.Next(-1, 2),
            _ => random.Next(maxSize + 1),
        };
        var body = new byte[size];
        random.NextBytes(body);
        return body;
    }

    /// <returns>The status, or null when the connection died with the server.</returns>
    private static async Task<HttpStatusCode?> SendAsync(HttpClient http, PresignResult presigned, Upload upload, Task gate)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, presigned.Url) { Content = new HeldContent(upload, gate) };
        try
        {
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                // The ETag is the MD5 of what the server committed: a 200 for different bytes would be a lie.
                Assert.Equal($"\"{Convert.ToHexString(MD5.HashData(upload.Body))}\"", response.Headers.ETag?.Tag);
            }

            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private sealed record Upload(string Key, byte[] Body, bool Gated)
    {
        public TaskCompletionSource FirstChunkSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// The body with its full Content-Length; a gated one sends its first part, then waits for the gate (released only
    /// after the kill), so the server dies holding a partial upload.
    /// </summary>
    private sealed class HeldContent(Upload upload, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var body = upload.Body;
            var first = upload.Gated ? body.Length / 2 : body.Length;
            await stream.WriteAsync(body.AsMemory(0, first));
            await stream.FlushAsync();
            upload.FirstChunkSent.TrySetResult();
            if (upload.Gated)
            {
                await gate;
                await stream.WriteAsync(body.AsMemory(first));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = upload.Body.Length;
            return true;
        }
    }
}
