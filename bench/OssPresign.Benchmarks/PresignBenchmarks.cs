using BenchmarkDotNet.Attributes;
using OssPresign.Signing;

namespace OssPresign.Benchmarks;

/// <summary>
/// Cost of one presign, and of the server-side verification of one presigned URL (parse, canonicalize, sign, compare).
/// Goal (issue 2): presign under 2 µs and 1 KiB allocated; verification under 3 µs.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class PresignBenchmarks
{
    private static readonly DateTimeOffset SigningTime = DateTimeOffset.FromUnixTimeSeconds(1702781677);

    private readonly OssClient _client = new(new OssClientOptions
    {
        Region = "cn-hangzhou",
        CredentialsProvider = new StaticCredentialsProvider("LTAI5tExampleAccessKeyId", "ExampleAccessKeySecret0123456789"),
        TimeProvider = new FixedTimeProvider(SigningTime),
    });

    private readonly PutObjectRequest _bare = new() { Bucket = "examplebucket", Key = "uploads/2026/11/photo.jpg" };

    private readonly PutObjectRequest _withHeaders = new()
    {
        Bucket = "examplebucket",
        Key = "uploads/2026/11/photo.jpg",
        ContentType = "image/jpeg",
        Metadata = { ["author"] = "alice" },
    };

    private List<KeyValuePair<string, string>> _query = [];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var presigned = await _client.PresignAsync(_withHeaders, new PresignOptions { Expires = TimeSpan.FromMinutes(10) });
        var query = presigned.Url[(presigned.Url.IndexOf('?', StringComparison.Ordinal) + 1)..];
        _query = [.. query.Split('&').Select(p => p.Split('=', 2)).Select(p =>
            new KeyValuePair<string, string>(Decode(p[0]), p.Length > 1 ? Decode(p[1]) : string.Empty))];

        static string Decode(string s) => OssUriEncoding.TryDecode(s, out var d) ? d : throw new FormatException(s);
    }

    [Benchmark]
    public ValueTask<PresignResult> PresignPut() => _client.PresignAsync(_bare);

    [Benchmark]
    public ValueTask<PresignResult> PresignPutWithSignedHeaders() => _client.PresignAsync(_withHeaders);

    /// <summary>What the server does per request: parse the auth parameters, rebuild the canonical request, sign, compare.</summary>
    [Benchmark]
    public bool VerifyPresignedPut()
    {
        if (!PresignedQuery.TryParse(_query, out var auth, out _))
        {
            return false;
        }

        var canonical = new CanonicalRequest(
            "PUT", "examplebucket", "uploads/2026/11/photo.jpg",
            _query.Where(p => p.Key != PresignedQuery.SignatureParameter),
            [new("Content-Type", "image/jpeg"), new("x-oss-meta-author", "alice"), new("Content-Length", "1048576"), new("Host", "127.0.0.1:9000")],
            auth!.AdditionalHeaders);
        return OssV4Signer.IsSignatureValid(canonical, auth.SigningTime, auth.Credential, "ExampleAccessKeySecret0123456789", auth.Signature!);
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
