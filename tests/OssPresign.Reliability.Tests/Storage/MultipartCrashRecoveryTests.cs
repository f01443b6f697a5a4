using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using OssPresign.Http;
using Xunit.Abstractions;

namespace OssPresign.Reliability.Tests.Storage;

/// <summary>
/// Kill -9 while multipart uploads upload parts and complete (ObjectStore.Multipart.cs: parts stored like PutObject
/// bodies; completion copies them into a new body, then commits the object and drops the upload in one transaction):
/// after a restart every upload is either completed whole or still in progress with every acknowledged part, never
/// half of each; a cut one completes afterwards; and no orphan file remains.
/// </summary>
public sealed class MultipartCrashRecoveryTests(ITestOutputHelper output)
{
    private const int UploadsPerRound = 6;
    private const int PartSize = 100 * 1024;

    [Fact]
    public async Task KillDuringPartsAndCompletions_RestartKeepsEachUploadWholeOrInProgress_AndLeavesNoOrphan()
    {
        var rounds = Stress.Pick(3, 15);
        var random = new Random(Stress.Seed);
        output.WriteLine($"seed {Stress.Seed} ({Stress.Variable}_SEED replays it), {rounds} rounds of {UploadsPerRound} multipart uploads");
        var folder = new DataFolder(DataFolder.CreateTemporary());
        var server = await ChildServer.StartAsync(folder.Path);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromMinutes(2) };
        int completedBeforeKill = 0, completedUnacknowledged = 0, resumed = 0;
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                var client = server.CreateClient();
                var uploads = new List<Upload>();
                for (var i = 0; i < UploadsPerRound; i++)
                {
                    var parts = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomBytes(random, PartSize + random.Next(3 * PartSize))).ToArray();
                    var key = $"round{round}/multipart{i}.bin";
                    uploads.Add(new Upload(key, await InitiateAsync(http, client, key), parts));
                }

                // Each upload sends its parts and then completes; the kill comes after a random number of them finished.
                var flows = uploads.Select(u => RunAsync(http, client, u)).ToList();
                var finishedBeforeKill = random.Next(uploads.Count + 1);
                await ChildServer.WhenCountAsync(flows, finishedBeforeKill);
                await server.KillAsync();
                await Task.WhenAll(flows);

                await server.DisposeAsync();
                server = await ChildServer.StartAsync(folder.Path);
                client = server.CreateClient();
                using var signing = SigningClient(server);
                foreach (var upload in uploads)
                {
                    var expected = upload.Parts.SelectMany(p => p).ToArray();
                    var (status, body) = await ChildServer.GetAsync(http, client, upload.Key);
                    var inProgress = await ListPartsAsync(signing, upload);
                    if (upload.Completed)
                    {
                        Assert.True(status == HttpStatusCode.OK, $"{upload.Key}: completed (200) but {status} after restart");
                        Assert.True(expected.AsSpan().SequenceEqual(body), $"{upload.Key}: completed but not byte-equal after restart");
                        Assert.Null(inProgress);
                        completedBeforeKill++;
                        continue;
                    }

                    if (status == HttpStatusCode.OK)
                    {
                        // The completion committed just before the kill and its answer was lost: whole, and the upload gone.
                        Assert.True(expected.AsSpan().SequenceEqual(body), $"{upload.Key}: a partial or foreign object is visible");
                        Assert.Null(inProgress);
                        completedUnacknowledged++;
                        continue;
                    }

                    // Still in progress: every part the server acknowledged is there with its ETag; the rest are re-sent.
                    Assert.Equal(HttpStatusCode.NotFound, status);
                    Assert.NotNull(inProgress);
                    foreach (var (number, etag) in upload.Acknowledged)
                    {
                        Assert.True(inProgress.TryGetValue(number, out var listed) && listed == etag, $"{upload.Key}: acknowledged part {number} lost");
                    }

                    upload.Acknowledged.Clear();
                    await RunAsync(http, client, upload);
                    Assert.True(upload.Completed, $"{upload.Key}: could not be completed after the restart");
                    var (after, afterBody) = await ChildServer.GetAsync(http, client, upload.Key);
                    Assert.Equal(HttpStatusCode.OK, after);
                    Assert.True(expected.AsSpan().SequenceEqual(afterBody), $"{upload.Key}: not byte-equal after completing it once restarted");
                    resumed++;
                }

                folder.AssertNoOrphans();
                output.WriteLine($"round {round}: killed after {finishedBeforeKill} uploads finished; bodies on disk {folder.BodyFiles().Count}");
            }

            output.WriteLine($"total: {rounds} kills, {rounds * UploadsPerRound} multipart uploads: {completedBeforeKill} completed before the kill, " +
                $"{completedUnacknowledged} completed as the answer was lost, {resumed} resumed and completed after the restart; 0 lost, 0 partial, 0 orphans");
        }
        finally
        {
            await server.DisposeAsync();
            folder.Delete();
            File.Delete(ChildServer.ConfigFile(folder.Path));
        }
    }

    /// <summary>Uploads the parts not yet acknowledged and completes; stops quietly when the server dies.</summary>
    private static async Task RunAsync(HttpClient http, OssClient client, Upload upload)
    {
        try
        {
            for (var number = 1; number <= upload.Parts.Length; number++)
            {
                if (upload.Acknowledged.ContainsKey(number))
                {
                    continue;
                }

                var presigned = await client.PresignAsync(new UploadPartRequest
                {
                    Bucket = ChildServer.Bucket,
                    Key = upload.Key,
                    UploadId = upload.UploadId,
                    PartNumber = number,
                });
                using var response = await http.PutAsync(presigned.Url, new ByteArrayContent(upload.Parts[number - 1]));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal($"\"{Convert.ToHexString(MD5.HashData(upload.Parts[number - 1]))}\"", response.Headers.ETag?.Tag);
                upload.Acknowledged[number] = response.Headers.ETag!.Tag;
            }

            var xml = new XElement("CompleteMultipartUpload", upload.Acknowledged.OrderBy(p => p.Key)
                .Select(p => new XElement("Part", new XElement("PartNumber", p.Key), new XElement("ETag", p.Value))));
            var complete = await client.PresignAsync(new CompleteMultipartUploadRequest { Bucket = ChildServer.Bucket, Key = upload.Key, UploadId = upload.UploadId });
            using var completed = await http.PostAsync(complete.Url, new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(xml.ToString())));
            Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
            upload.Completed = true;
        }
        catch (HttpRequestException)
        {
            // The server was killed mid-request.
        }
    }

    private static async Task<string> InitiateAsync(HttpClient http, OssClient client, string key)
    {
        var presigned = await client.PresignAsync(new InitiateMultipartUploadRequest { Bucket = ChildServer.Bucket, Key = key });
        using var response = await http.PostAsync(presigned.Url, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XElement.Parse(await response.Content.ReadAsStringAsync()).Element("UploadId")!.Value;
    }

    /// <summary>The parts listed for the upload (number → ETag), or null when it is no longer in progress.</summary>
    private static async Task<Dictionary<int, string>?> ListPartsAsync(HttpClient signing, Upload upload)
    {
        using var response = await signing.GetAsync($"/{ChildServer.Bucket}/{upload.Key}?uploadId={upload.UploadId}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XElement.Parse(await response.Content.ReadAsStringAsync()).Elements("Part")
            .ToDictionary(p => int.Parse(p.Element("PartNumber")!.Value, System.Globalization.CultureInfo.InvariantCulture), p => p.Element("ETag")!.Value);
    }

    private static HttpClient SigningClient(ChildServer server) => new(new OssSigningHandler(new OssClientOptions
    {
        Region = "cn-hangzhou",
        Endpoint = server.Endpoint,
        UsePathStyle = true,
        CredentialsProvider = new StaticCredentialsProvider(ChildServer.AccessKeyId, ChildServer.AccessKeySecret),
    }, new SocketsHttpHandler()))
    {
        BaseAddress = server.Endpoint,
    };

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private sealed record Upload(string Key, string UploadId, byte[][] Parts)
    {
        /// <summary>Part number → ETag of each part the server answered 200 for.</summary>
        public Dictionary<int, string> Acknowledged { get; } = [];

        public bool Completed { get; set; }
    }
}
