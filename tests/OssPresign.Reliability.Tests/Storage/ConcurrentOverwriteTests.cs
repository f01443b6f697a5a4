using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace OssPresign.Reliability.Tests.Storage;

/// <summary>
/// 64 clients writing and reading a few shared keys at once (ObjectStore: serialized commits, the loser's body
/// deleted, readers retried across a replaced body): every read returns one whole version that was written.
/// </summary>
public sealed class ConcurrentOverwriteTests(ITestOutputHelper output)
{
    private const int Clients = 64;
    private const int Keys = 8;
    private const int HeaderSize = 16 + 32;

    [Fact]
    public async Task SixtyFourClientsOnOverlappingKeys_EveryReadIsOneWholeWrittenVersion()
    {
        var duration = Stress.Pick(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(30));
        await using var server = await InProcessServer.StartAsync(TimeProvider.System);
        var client = server.CreateClient();
        var written = new ConcurrentDictionary<Guid, string>();
        var acknowledged = new ConcurrentDictionary<Guid, string>();
        long writes = 0, reads = 0, wholeReads = 0, notFound = 0;
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(duration);
        var stopwatch = Stopwatch.StartNew();

        async Task RunClientAsync(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested && failures.IsEmpty)
            {
                var key = $"shared/key-{random.Next(Keys)}";
                if (random.Next(2) == 0)
                {
                    var (version, body) = NewVersion(random);

                    // Registered before sending: a reader may see it as soon as the commit happens, before the answer.
                    written[version] = key;
                    var presigned = await client.PresignAsync(new PutObjectRequest { Bucket = InProcessServer.Bucket, Key = key });
                    using var response = await server.Http.PutAsync(presigned.Url, new ByteArrayContent(body));
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue($"PUT {key}: {(int)response.StatusCode}");
                    }

                    acknowledged[version] = key;
                    Interlocked.Increment(ref writes);
                }
                else
                {
                    var presigned = await client.PresignAsync(new GetObjectRequest { Bucket = InProcessServer.Bucket, Key = key });
                    using var response = await server.Http.GetAsync(presigned.Url);
                    Interlocked.Increment(ref reads);
                    if (response.StatusCode == HttpStatusCode.NotFound)
                    {
                        Interlocked.Increment(ref notFound);
                        continue;
                    }

                    var body = await response.Content.ReadAsByteArrayAsync();
                    if (Check(key, body, response, written) is { } problem)
                    {
                        failures.Enqueue(problem);
                    }
                    else
                    {
                        Interlocked.Increment(ref wholeReads);
                    }
                }
            }
        }

        var seed = Stress.Seed;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(() => RunClientAsync(seed + i))));
        output.WriteLine($"seed {seed}: {Clients} clients, {Keys} keys, {stopwatch.Elapsed.TotalSeconds:F1} s: {writes} writes, {reads} reads " +
            $"({wholeReads} whole versions, {notFound} before the first write), {failures.Count} mixed or torn");
        Assert.Empty(failures);
        Assert.True(wholeReads > 0 && writes > 0, "the run must have overlapped reads and writes");

        // The final state: each key holds one acknowledged version, and only its body is on disk (every loser deleted).
        for (var k = 0; k < Keys; k++)
        {
            var key = $"shared/key-{k}";
            var presigned = await client.PresignAsync(new GetObjectRequest { Bucket = InProcessServer.Bucket, Key = key });
            using var response = await server.Http.GetAsync(presigned.Url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Null(Check(key, body, response, acknowledged));
        }

        // The store deletes an overwritten body just after acknowledging the PUT that replaced it: the body files are
        // then exactly those of the final versions kept as files (64 KiB or more; smaller ones live in their row).
        await server.Folder.AssertNoOrphansEventuallyAsync();
        Assert.InRange(server.Folder.BodyFiles().Count, 0, Keys);
    }

    /// <summary>A self-describing body: a version id, the SHA-256 of the rest, then random bytes.</summary>
    private static (Guid Version, byte[] Body) NewVersion(Random random)
    {
        // Up to 300 KiB: across the store's 256 KiB copy buffer, so a torn body could straddle two reads.
        var body = new byte[HeaderSize + random.Next(300 * 1024)];
        var version = Guid.NewGuid();
        version.TryWriteBytes(body);
        random.NextBytes(body.AsSpan(HeaderSize));
        SHA256.HashData(body.AsSpan(HeaderSize), body.AsSpan(16, 32));
        return (version, body);
    }

    /// <returns>Null when <paramref name="body"/> is one whole version written to <paramref name="key"/>; else what is wrong.</returns>
    private static string? Check(string key, byte[] body, HttpResponseMessage response, ConcurrentDictionary<Guid, string> versions)
    {
        if (body.Length < HeaderSize)
        {
            return $"GET {key}: {body.Length} bytes, shorter than any version";
        }

        var version = new Guid(body.AsSpan(0, 16));
        if (!versions.TryGetValue(version, out var writtenTo) || writtenTo != key)
        {
            return $"GET {key}: version {version} was never written to this key";
        }

        if (!SHA256.HashData(body.AsSpan(HeaderSize)).AsSpan().SequenceEqual(body.AsSpan(16, 32)))
        {
            return $"GET {key}: version {version} is torn or mixed (its hash does not match)";
        }

        // The headers must describe the same version as the bytes (a stale ETag with new bytes would be mixed too).
        var etag = $"\"{Convert.ToHexString(MD5.HashData(body))}\"";
        return response.Headers.ETag?.Tag == etag ? null : $"GET {key}: ETag {response.Headers.ETag?.Tag} is not the body's {etag}";
    }
}
