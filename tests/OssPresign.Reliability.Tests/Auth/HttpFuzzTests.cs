using System.Diagnostics;
using CsCheck;
using Xunit.Abstractions;

namespace OssPresign.Reliability.Tests.Auth;

/// <summary>
/// The same mutations as <see cref="VerifierFuzzTests"/>, sent byte for byte over sockets to a running server
/// (Kestrel's parser, the OSS pipeline, the handlers): never a 5xx, a 2xx only with unchanged signed parts and a key
/// OSS accepts (a correctly signed request for a key starting with '/' or '\' is 400 InvalidObjectName), and the
/// server healthy and its data folder clean afterwards.
/// </summary>
public sealed class HttpFuzzTests(ITestOutputHelper output)
{
    private static readonly byte[] Body = "fuzz"u8.ToArray();

    [Fact]
    public async Task MutatedRequestsOverHttp_NeverGetA5xx_AndSucceedOnlyWithUnchangedSignedParts()
    {
        var iterations = Stress.Pick(3_000L, 30_000L);
        await using var server = await InProcessServer.StartAsync(accessKeys: FuzzCorpus.Keys, buckets: ["examplebucket", "other-bucket"]);
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        long refusedNames = 0;
        var stopwatch = Stopwatch.StartNew();

        await Gen.Select(FuzzCorpus.Bases, FuzzCorpus.Mutations).SampleAsync(async (b, mutations) =>
        {
            var original = FuzzCorpus.Create(b);
            var signedParts = SignedParts.Of(original);
            if (b.KeyOssRefuses)
            {
                var (originalAuthority, originalTarget) = SignedParts.Split(original.Url);
                var contentLength = Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var refused = await RawHttp.SendAsync(
                    server.Server.Endpoint, original.Method, originalTarget, [new("Host", originalAuthority), .. original.Headers, new("Content-Length", contentLength)], Body);
                Assert.True(refused is { Status: 400, ErrorCode: "InvalidObjectName" }, $"{refused.Status} {refused.Body} for the unmutated {original}");
                Interlocked.Increment(ref refusedNames);
            }

            var mutated = VerifierFuzzTests.Mutate(original, mutations);

            // A CR or LF in a header would make two header lines of one; the verifier fuzz covers such values.
            mutated.Headers.RemoveAll(h => h.Key.AsSpan().IndexOfAny('\r', '\n') >= 0 || h.Value.AsSpan().IndexOfAny('\r', '\n') >= 0);
            var (authority, target) = SignedParts.Split(mutated.Url);
            var headers = new List<KeyValuePair<string, string>>(mutated.Headers);
            if (!headers.Exists(h => h.Key.Equals("host", StringComparison.OrdinalIgnoreCase)))
            {
                headers.Insert(0, new("Host", authority));
            }

            headers.RemoveAll(h => h.Key.Equals("content-length", StringComparison.OrdinalIgnoreCase));
            headers.Add(new("Content-Length", Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));

            var response = await RawHttp.SendAsync(server.Server.Endpoint, mutated.Method, target, headers, Body);
            statuses.AddOrUpdate(response.Status, 1, (_, n) => n + 1);
            // 501 is the answer to an authenticated request for an operation the local server does not implement (a
            // signed POST): allowed only when authenticated, i.e. with every signed part unchanged. 505 is Kestrel's
            // answer to a request line whose version is garbage (a CR or LF inside the target moves "HTTP/1.1"), before
            // the OSS pipeline runs. Any other 5xx fails.
            Assert.True(response.Status < 500 || response.Status == 501 || (response.Status == 505 && target.AsSpan().IndexOfAny('\r', '\n') >= 0),
                $"{response.Status} {response.Body} for {mutated}");
            if (response.Status is >= 200 and < 300 or 501)
            {
                Assert.True(SignedParts.Of(mutated) == signedParts, $"{response.Status} with changed signed parts: {mutated}");
                Assert.False(b.KeyOssRefuses, $"{response.Status} for a key OSS refuses: {mutated}");
            }
        }, iter: iterations, threads: 2, print: t => $"{t.Item1} {string.Join(' ', t.Item2)}");

        output.WriteLine($"{iterations} mutated requests over HTTP in {stopwatch.Elapsed.TotalSeconds:F1} s; statuses (0 = closed without a response): " +
            string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")) +
            $"; and {refusedNames} unmutated requests for a key starting with '/' or '\\', each 400 InvalidObjectName");

        // Still healthy: a fresh signed upload and download work, and nothing was left half-written.
        var client = new OssClient(new OssClientOptions
        {
            Region = server.Server.Region,
            Endpoint = server.Server.Endpoint,
            UsePathStyle = true,
            CredentialsProvider = new StaticCredentialsProvider(FuzzCorpus.Keys[0].AccessKeyId, FuzzCorpus.Keys[0].AccessKeySecret),
            TimeProvider = server.Time,
        });
        var put = await client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "after-fuzz.txt" });
        using (var response = await server.Http.PutAsync(InProcessServer.RawUri(put.Url), new ByteArrayContent(Body)))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var get = await client.PresignAsync(new GetObjectRequest { Bucket = "examplebucket", Key = "after-fuzz.txt" });
        Assert.Equal(Body, await server.Http.GetByteArrayAsync(InProcessServer.RawUri(get.Url)));
        await server.Folder.AssertNoOrphansEventuallyAsync();
    }
}
