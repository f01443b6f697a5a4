using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Http;

namespace OssPresign.Tests.Interop;

/// <summary>
/// The official Node SDK ali-oss (pinned in tests/interop/package-lock.json) signs the table of
/// tests/interop/sign-cases.mjs on a frozen clock; OssPresign must compute the same signatures for the same inputs at
/// the same signing time: presigned URLs through <see cref="OssClient.PresignAsync"/>, Authorization headers through
/// <see cref="OssSigningHandler"/>. Needs Node 20 and <c>npm ci</c> in tests/interop.
/// </summary>
public sealed class AliOssSignatureEqualityTests(AliOssSignatureTable table) : IClassFixture<AliOssSignatureTable>
{
    [Fact]
    public void AliOss_OnTheFrozenClock_ReproducesTheSpecVector()
    {
        // OSS-V4.md §6.3 example A: proves the Node side really signed at the case's time, not at "now".
        var vector = Assert.Single(table.Presign, c => c.GetProperty("id").GetString() == "doc-vector-A");
        Assert.Equal(vector.GetProperty("expectedSignature").GetString(), Parameter(vector.GetProperty("url").GetString()!, "x-oss-signature"));
    }

    [Fact]
    public void Table_CoversTheInputsThatMatter()
    {
        var presign = table.Presign;
        var keys = presign.Select(c => c.GetProperty("key").GetString()!).ToList();
        Assert.Contains(keys, k => k.Contains(' ', StringComparison.Ordinal));
        Assert.Contains(keys, k => k.Contains('+', StringComparison.Ordinal));
        Assert.Contains(keys, k => k.Any(ch => ch > 127));
        Assert.Contains(keys, k => k.Count(ch => ch == '/') >= 3);
        Assert.Contains(presign, c => HasHeader(c, "content-type"));
        Assert.Contains(presign, c => !HasHeader(c, "content-type"));
        Assert.Contains(presign, c => c.GetProperty("headers").EnumerateObject().Any(h => h.Name.StartsWith("x-oss-meta-", StringComparison.OrdinalIgnoreCase)));
        Assert.Contains(presign, c => c.GetProperty("additionalHeaders").GetArrayLength() > 0);
        Assert.Contains(presign, c => c.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String);
        Assert.Contains(table.Header, c => c.GetProperty("token").ValueKind == JsonValueKind.String);
        Assert.Contains(table.Header, c => c.GetProperty("additionalHeaders").GetArrayLength() > 0);
    }

    [Fact]
    public async Task PresignedUrls_EqualAliOssSignatureUrlV4()
    {
        var mismatches = new List<string>();
        foreach (var c in table.Presign)
        {
            var aliOss = c.GetProperty("url").GetString()!;
            var ours = await PresignAsync(c);
            var (ourPath, ourQuery) = Decode(ours);
            var (aliPath, aliQuery) = Decode(aliOss);
            if (ourPath != aliPath || ourQuery != aliQuery || Parameter(ours, "x-oss-signature") != Parameter(aliOss, "x-oss-signature"))
            {
                mismatches.Add($"{c.GetProperty("id").GetString()}:\n  ours:    {ours}\n  ali-oss: {aliOss}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {table.Presign.Count} presigned URLs differ from ali-oss {table.AliOssVersion}:\n{string.Join('\n', mismatches)}");
        Assert.True(table.Presign.Count >= 10, "the table has fewer cases than expected");
    }

    [Fact]
    public async Task AuthorizationHeaders_EqualAliOssAuthorizationV4()
    {
        var mismatches = new List<string>();
        foreach (var c in table.Header)
        {
            var sent = c.GetProperty("request");
            var aliHeaders = sent.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var (authorization, date) = await SignHeaderModeAsync(c, sent.GetProperty("method").GetString()!, sent.GetProperty("url").GetString()!, aliHeaders);
            if (authorization != aliHeaders["authorization"] || date != aliHeaders["x-oss-date"])
            {
                mismatches.Add($"{c.GetProperty("id").GetString()}:\n  ours:    {date} {authorization}\n  ali-oss: {aliHeaders["x-oss-date"]} {aliHeaders["authorization"]}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {table.Header.Count} Authorization headers differ from ali-oss {table.AliOssVersion}:\n{string.Join('\n', mismatches)}");
        Assert.True(table.Header.Count >= 6, "the table has fewer cases than expected");
    }

    [Fact]
    public async Task Comparison_IsSensitive_AnotherSecretDiffers()
    {
        var c = table.Presign.First(x => x.GetProperty("id").GetString() == "put-space-content-type");
        var ours = await PresignAsync(c, secretSuffix: "x");
        Assert.NotEqual(Parameter(c.GetProperty("url").GetString()!, "x-oss-signature"), Parameter(ours, "x-oss-signature"));
    }

    private OssClientOptions Options(JsonElement c, string secretSuffix = "") => new()
    {
        Region = table.Region,
        Endpoint = new Uri(table.Endpoint),
        UsePathStyle = true,
        CredentialsProvider = new StaticCredentialsProvider(
            c.GetProperty("ak").GetString()!,
            c.GetProperty("sk").GetString()! + secretSuffix,
            c.TryGetProperty("token", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null),
        AdditionalHeaders = [.. c.GetProperty("additionalHeaders").EnumerateArray().Select(h => h.GetString()!)],
        TimeProvider = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(c.GetProperty("time").GetInt64())),
    };

    /// <summary>The case through the public presign API: typed properties where they exist, Headers/Parameters otherwise.</summary>
    private async Task<string> PresignAsync(JsonElement c, string secretSuffix = "")
    {
        var bucket = c.GetProperty("bucket").GetString()!;
        var key = c.GetProperty("key").GetString()!;
        var headers = c.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString()!, StringComparer.OrdinalIgnoreCase);
        var parameters = c.GetProperty("queries").EnumerateObject().ToDictionary(q => q.Name, q => q.Value.GetString()!, StringComparer.Ordinal);
        OssObjectRequest request = c.GetProperty("method").GetString() switch
        {
            "PUT" => new PutObjectRequest
            {
                Bucket = bucket,
                Key = key,
                ContentType = Take(headers, "Content-Type"),
                ContentMd5 = Take(headers, "Content-MD5"),
                Metadata = TakeMetadata(headers),
                Headers = headers,
                Parameters = parameters,
            },
            "GET" => new GetObjectRequest { Bucket = bucket, Key = key, Headers = headers, Parameters = parameters },
            "HEAD" => new HeadObjectRequest { Bucket = bucket, Key = key, Headers = headers, Parameters = parameters },
            var other => throw new InvalidOperationException($"No request type for {other}."),
        };
        var result = await new OssClient(Options(c, secretSuffix))
            .PresignAsync(request, new PresignOptions { Expires = TimeSpan.FromSeconds(c.GetProperty("expires").GetInt64()) });
        return result.Url;
    }

    /// <summary>
    /// Sends ali-oss's request (same method, URL and headers) through <see cref="OssSigningHandler"/> at the same time
    /// and returns the Authorization and x-oss-date it set. The handler sets x-oss-date, x-oss-content-sha256 and
    /// x-oss-security-token itself, as ali-oss does, so those are not copied.
    /// </summary>
    private async Task<(string Authorization, string Date)> SignHeaderModeAsync(JsonElement c, string method, string url, Dictionary<string, string> aliHeaders)
    {
        var capture = new CapturingHandler();
        using var client = new HttpClient(new OssSigningHandler(Options(c), capture));
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        foreach (var (name, value) in aliHeaders)
        {
            if (name.ToLowerInvariant() is "authorization" or "x-oss-date" or "x-oss-content-sha256" or "x-oss-security-token")
            {
                continue;
            }

            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    request.Content.Headers.ContentLength = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    request.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await client.SendAsync(request);
        var sent = capture.Request!;
        return (string.Join(',', sent.Headers.NonValidated["Authorization"]), string.Join(',', sent.Headers.NonValidated["x-oss-date"]));
    }

    private static string? Take(Dictionary<string, string> headers, string name) =>
        headers.Remove(name, out var value) ? value : null;

    private static Dictionary<string, string> TakeMetadata(Dictionary<string, string> headers)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in headers.Keys.Where(n => n.StartsWith("x-oss-meta-", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            metadata[name["x-oss-meta-".Length..]] = headers[name];
            headers.Remove(name);
        }

        return metadata;
    }

    private static bool HasHeader(JsonElement c, string name) =>
        c.GetProperty("headers").EnumerateObject().Any(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The object path and the query, percent-decoded, the query sorted: the two SDKs may escape differently in the URL
    /// (ali-oss leaves <c>!'()*</c> unescaped in the path) and order parameters differently, and still address and sign
    /// the same thing.
    /// </summary>
    private static (string Path, string Query) Decode(string url)
    {
        var question = url.IndexOf('?', StringComparison.Ordinal);
        var pathStart = url.IndexOf('/', url.IndexOf("://", StringComparison.Ordinal) + 3);
        var path = Uri.UnescapeDataString(url[pathStart..question]);
        var query = url[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Name: Uri.UnescapeDataString(p[0]), Value: p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}");
        return (path, string.Join('&', query));
    }

    private static string? Parameter(string url, string name) =>
        url[(url.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&')
            .Select(p => p.Split('=', 2))
            .Where(p => p[0] == name)
            .Select(p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty)
            .SingleOrDefault();

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }
}

/// <summary>
/// Runs <c>node tests/interop/sign-table.mjs</c> once for the test class and holds what ali-oss signed.
/// </summary>
public sealed class AliOssSignatureTable
{
    public AliOssSignatureTable()
    {
        var interop = Path.Combine(FindRepositoryRoot(), "tests", "interop");
        if (!Directory.Exists(Path.Combine(interop, "node_modules", "ali-oss")))
        {
            throw new InvalidOperationException(
                $"ali-oss is not installed in {interop}/node_modules: run npm ci in tests/interop (needs Node 20 and npm).");
        }

        var start = new ProcessStartInfo("node", [Path.Combine(interop, "sign-table.mjs")])
        {
            WorkingDirectory = interop,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        var stderr = node.StandardError.ReadToEndAsync();
        var stdout = node.StandardOutput.ReadToEnd();
        if (!node.WaitForExit(TimeSpan.FromMinutes(1)) || node.ExitCode != 0)
        {
            throw new InvalidOperationException($"node sign-table.mjs failed ({(node.HasExited ? node.ExitCode : "timed out")}):\n{stderr.Result}");
        }

        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement;
        AliOssVersion = root.GetProperty("aliOssVersion").GetString()!;
        Endpoint = root.GetProperty("endpoint").GetString()!;
        Region = root.GetProperty("region").GetString()!;
        Presign = [.. root.GetProperty("presign").EnumerateArray().Select(e => e.Clone())];
        Header = [.. root.GetProperty("header").EnumerateArray().Select(e => e.Clone())];
    }

    public string AliOssVersion { get; }

    public string Endpoint { get; }

    public string Region { get; }

    public IReadOnlyList<JsonElement> Presign { get; }

    public IReadOnlyList<JsonElement> Header { get; }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OssPresign.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"OssPresign.slnx not found above {AppContext.BaseDirectory}.");
    }
}
