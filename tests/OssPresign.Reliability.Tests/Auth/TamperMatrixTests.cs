using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OssPresign.Reliability.Tests.Auth;

/// <summary>
/// Every component of a presigned PUT, one change at a time, against the real server over HTTP (RequestAuthenticator):
/// each of the seven <c>x-oss-*</c> parameters removed, duplicated and altered; the path, bucket, host and method;
/// each signed header (Content-Type, Content-MD5, x-oss-meta-*, an additional header, host) removed, altered,
/// repeated and added. Each gets its OSS status and code, never a 5xx; a refused PUT stores nothing, and the few
/// changes that leave every signed part as it was (an equivalent encoding, an unsigned header) are accepted and store
/// the signed key. Complements the 22 hand-picked cases of tests/OssPresign.Server.Tests/Auth/PresignedRequestTests.cs,
/// which pin the EC of each credential, date and expiry failure.
/// </summary>
public sealed class TamperMatrixTests(TamperMatrixTests.ServerFixture fixture) : IClassFixture<TamperMatrixTests.ServerFixture>
{
    private const string Sdnm = "SignatureDoesNotMatch";
    private const string Denied = "AccessDenied";
    private const string BadKey = "InvalidAccessKeyId";
    private const string BadArgument = "InvalidArgument";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("tamper matrix body");
    private static readonly string BodyMd5 = Convert.ToBase64String(MD5.HashData(Body));

    /// <summary>
    /// The cases: what changes, and the expected status and OSS code (null: refused by Kestrel before the OSS
    /// pipeline, which has no code to give). 200 marks a change that leaves every signed part as signed.
    /// </summary>
    private static readonly Dictionary<string, (Action<Request> Change, int Status, string? Code)> Cases = BuildCases();

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public void Matrix_CoversEveryAuthParameterThreeWays_AndEverySignedHeader()
    {
        string[] parameters =
        [
            "x-oss-signature-version", "x-oss-date", "x-oss-expires", "x-oss-credential", "x-oss-additional-headers", "x-oss-security-token", "x-oss-signature",
        ];
        foreach (var parameter in parameters)
        {
            foreach (var how in new[] { "removed", "duplicated", "altered" })
            {
                Assert.Contains($"query {parameter} {how}", Cases.Keys);
            }
        }

        foreach (var header in new[] { "content-type", "content-md5", "x-oss-meta-a", "x-custom", "host" })
        {
            foreach (var how in new[] { "removed", "altered", "repeated" })
            {
                Assert.Contains($"header {header} {how}", Cases.Keys);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task TamperedComponent_GetsItsOssCode_NeverA5xx_AndStoresNothingUnlessUnchanged(string name)
    {
        var (change, expectedStatus, expectedCode) = Cases[name];
        var key = "tamper/" + name.Replace(' ', '_') + ".txt";
        var request = await fixture.PresignAsync(key);

        change(request);
        var response = await RawHttp.SendAsync(fixture.Server.Server.Endpoint, request.Method, request.Target, request.Headers, Body);

        Assert.True(response.Status is > 0 and < 500, $"{name}: {response.Status} {response.Body}");
        Assert.True(expectedStatus == response.Status, $"{name}: expected {expectedStatus}, got {response.Status} {response.ErrorCode} {response.Body}");
        Assert.Equal(expectedCode, response.ErrorCode);
        var stored = await fixture.ReadAsync(key);
        if (expectedStatus == 200)
        {
            Assert.Equal(Body, stored);
        }
        else
        {
            Assert.Null(stored);
        }
    }

    [Fact]
    public async Task PresignedGet_WithAnEmptyBucketSegment_IsRefused_NotAListBuckets()
    {
        // "//examplebucket/k" reads as no bucket and key "examplebucket/k", whose canonical URI is the signed one: before
        // the fix this GetObject URL verified as a service-level request and listed every bucket.
        var presigned = await fixture.Server.CreateClient().PresignAsync(new GetObjectRequest { Bucket = InProcessServer.Bucket, Key = "k" });
        var (authority, target) = SignedParts.Split(presigned.Url);

        var response = await RawHttp.SendAsync(fixture.Server.Server.Endpoint, "GET", "/" + target, [new("Host", authority)], []);

        Assert.True(response.Status == 400, $"{response.Status} {response.Body}");
        Assert.Equal("InvalidBucketName", response.ErrorCode);
        Assert.DoesNotContain("ListAllMyBucketsResult", response.Body, StringComparison.Ordinal);
    }

    private static Dictionary<string, (Action<Request>, int, string?)> BuildCases()
    {
        var cases = new Dictionary<string, (Action<Request>, int, string?)>(StringComparer.Ordinal);
        void Add(string name, Action<Request> change, int status, string? code) => cases.Add(name, (change, status, code));

        // The auth parameters: a missing one is a format error with its own EC, a repeated one is ambiguous (refused,
        // OSS-V4.md §1.6 rule 4), and an altered one fails the signature or the key lookup.
        Add("query x-oss-signature-version removed", r => r.RemoveQuery("x-oss-signature-version"), 403, Denied);
        Add("query x-oss-signature-version altered", r => r.SetQuery("x-oss-signature-version", "OSS4-HMAC-SHA1"), 403, Denied);
        Add("query x-oss-date removed", r => r.RemoveQuery("x-oss-date"), 403, Denied);
        Add("query x-oss-date altered", r => r.SetQuery("x-oss-date", ShiftSeconds(r.GetQuery("x-oss-date"), 1)), 403, Sdnm);
        Add("query x-oss-expires removed", r => r.RemoveQuery("x-oss-expires"), 403, Denied);
        Add("query x-oss-expires altered", r => r.SetQuery("x-oss-expires", "899"), 403, Sdnm);
        Add("query x-oss-credential removed", r => r.RemoveQuery("x-oss-credential"), 403, Denied);
        Add("query x-oss-credential altered", r => r.SetQuery("x-oss-credential", r.GetQuery("x-oss-credential").Replace("sts-key", "test-key", StringComparison.Ordinal)), 403, BadKey);
        Add("query x-oss-additional-headers removed", r => r.RemoveQuery("x-oss-additional-headers"), 403, Sdnm);
        Add("query x-oss-additional-headers altered", r =>
        {
            r.SetQuery("x-oss-additional-headers", "host%3Bx-custom%3Bx-other");
            r.Headers.Add(new("x-other", "1"));
        }, 403, Sdnm);
        Add("query x-oss-security-token removed", r => r.RemoveQuery("x-oss-security-token"), 403, BadKey);
        Add("query x-oss-security-token altered", r => r.SetQuery("x-oss-security-token", "other-token"), 403, BadKey);
        Add("query x-oss-signature removed", r => r.RemoveQuery("x-oss-signature"), 403, Denied);
        Add("query x-oss-signature altered", r => r.SetQuery("x-oss-signature", FlipLastHexDigit(r.GetQuery("x-oss-signature"))), 403, Sdnm);
        Add("query x-oss-signature upper-case", r => r.SetQuery("x-oss-signature", r.GetQuery("x-oss-signature").ToUpperInvariant()), 403, Sdnm);
        foreach (var parameter in new[] { "x-oss-signature-version", "x-oss-date", "x-oss-expires", "x-oss-credential", "x-oss-additional-headers", "x-oss-security-token", "x-oss-signature" })
        {
            Add($"query {parameter} duplicated", r => r.DuplicateQuery(parameter), 400, BadArgument);
        }

        Add("query extra parameter added", r => r.Query.Add("versionId=1"), 403, Sdnm);
        Add("query key-only parameter added", r => r.Query.Add("acl"), 403, Sdnm);
        Add("query parameters reordered", r => r.Query.Reverse(), 200, null);
        Add("query value re-encoded", r => r.SetQuery("x-oss-date", r.GetQuery("x-oss-date").Replace("T", "%54", StringComparison.Ordinal)), 200, null);

        // The path: the key and bucket are in the canonical URI (§1.5); an equivalent escape is the same key.
        Add("path key altered", r => r.Path = r.Path + "x", 403, Sdnm);
        Add("path key removed", r => r.Path = "/examplebucket/", 403, Sdnm);
        Add("path key dot segment", r => r.Path = r.Path.Replace("/tamper/", "/./tamper/", StringComparison.Ordinal), 403, Sdnm);
        Add("path key encoded slash", r => r.Path = r.Path.Replace("/tamper/", "/tamper%2F", StringComparison.Ordinal), 200, null);
        Add("path key re-encoded", r => r.Path = r.Path.Replace("/tamper/", "/t%61mper/", StringComparison.Ordinal), 200, null);
        Add("path bucket altered", r => r.Path = r.Path.Replace("/examplebucket/", "/otherbucket/", StringComparison.Ordinal), 403, Sdnm);
        Add("path bucket missing", r => r.Path = r.Path.Replace("/examplebucket/", "/nosuchbucket/", StringComparison.Ordinal), 403, Sdnm);
        Add("path bucket emptied", r => r.Path = "/" + r.Path, 400, "InvalidBucketName");
        Add("path bucket emptied as get", r =>
        {
            // The canonical URI of bucket-less "//examplebucket/k" is that of examplebucket + k: never a ListBuckets.
            r.Path = "/" + r.Path;
            r.Method = "GET";
        }, 400, "InvalidBucketName");
        Add("path bucket upper-case", r => r.Path = r.Path.Replace("/examplebucket/", "/EXAMPLEBUCKET/", StringComparison.Ordinal), 400, "InvalidBucketName");

        // The host: signed here (x-oss-additional-headers=host); a virtual host moves the bucket out of the path.
        Add("header host altered", r => r.SetHeader("Host", "127.0.0.2:" + r.Port), 403, Sdnm);
        Add("header host removed", r => r.RemoveHeader("Host"), 400, null);
        Add("header host repeated", r => r.Headers.Add(new("Host", r.GetHeader("Host"))), 400, null);
        Add("host virtual-hosted bucket", r => r.SetHeader("Host", $"otherbucket.localhost:{r.Port}"), 403, Sdnm);

        // The method is line 1 of the canonical request.
        foreach (var method in new[] { "GET", "HEAD", "POST", "DELETE" })
        {
            Add($"method {method}", r => r.Method = method, 403, Sdnm);
        }

        // Kestrel passes "put" through as a method of its own; the canonical method is upper-cased (§1.1) and the
        // server's operation lookup is case-insensitive, so it is the signed PUT of the signed key and body.
        Add("method lower-case put", r => r.Method = "put", 200, null);

        // The signed headers (§1.7): every x-oss-*, content-type, content-md5 and the additional ones.
        Add("header content-type removed", r => r.RemoveHeader("Content-Type"), 403, Sdnm);
        Add("header content-type altered", r => r.SetHeader("Content-Type", "text/html"), 403, Sdnm);
        Add("header content-type repeated", r => r.Headers.Add(new("Content-Type", "text/plain")), 403, Sdnm);
        Add("header content-md5 removed", r => r.RemoveHeader("Content-MD5"), 403, Sdnm);
        Add("header content-md5 altered", r => r.SetHeader("Content-MD5", Convert.ToBase64String(MD5.HashData("other"u8))), 403, Sdnm);
        Add("header content-md5 repeated", r => r.Headers.Add(new("Content-MD5", BodyMd5)), 403, Sdnm);
        Add("header x-oss-meta-a removed", r => r.RemoveHeader("x-oss-meta-a"), 403, Sdnm);
        Add("header x-oss-meta-a altered", r => r.SetHeader("x-oss-meta-a", "2"), 403, Sdnm);
        Add("header x-oss-meta-a repeated", r => r.Headers.Add(new("x-oss-meta-a", "1")), 403, Sdnm);
        Add("header x-oss-meta-a name upper-case", r => r.RenameHeader("x-oss-meta-a", "X-OSS-META-A"), 200, null);
        Add("header x-oss-meta-a value padded", r => r.SetHeader("x-oss-meta-a", "  1  "), 200, null);
        Add("header x-custom removed", r => r.RemoveHeader("x-custom"), 400, BadArgument);
        Add("header x-custom altered", r => r.SetHeader("x-custom", "no"), 403, Sdnm);
        Add("header x-custom repeated", r => r.Headers.Add(new("x-custom", "yes")), 403, Sdnm);
        Add("header x-oss-meta-b added", r => r.Headers.Add(new("x-oss-meta-b", "1")), 403, Sdnm);
        Add("header x-oss-meta-b added empty", r => r.Headers.Add(new("x-oss-meta-b", "")), 403, Sdnm);
        Add("header x-oss-content-sha256 added", r => r.Headers.Add(new("x-oss-content-sha256", "UNSIGNED-PAYLOAD")), 403, Sdnm);
        Add("header x-oss-content-sha256 hash added", r => r.Headers.Add(new("x-oss-content-sha256", new string('a', 64))), 400, BadArgument);
        Add("header x-oss-security-token added", r => r.Headers.Add(new("x-oss-security-token", InProcessServer.StsToken)), 403, Sdnm);
        Add("header authorization added", r => r.Headers.Add(new("Authorization", "OSS4-HMAC-SHA256 Credential=x")), 400, BadArgument);
        Add("header unsigned added", r => r.Headers.Add(new("x-unsigned", "1")), 200, null);
        return cases;
    }

    private static string ShiftSeconds(string datetime, int seconds) =>
        DateTime.ParseExact(datetime, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture).AddSeconds(seconds)
            .ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static string FlipLastHexDigit(string hex) => hex[..^1] + (hex[^1] == '0' ? '1' : '0');

    /// <summary>A presigned request as raw text: method, path, query pairs (encoded), header lines and body.</summary>
    internal sealed class Request(string method, string path, List<string> query, List<KeyValuePair<string, string>> headers, int port)
    {
        public string Method { get; set; } = method;

        public string Path { get; set; } = path;

        public List<string> Query { get; } = query;

        public List<KeyValuePair<string, string>> Headers { get; } = headers;

        public int Port { get; } = port;

        public string Target => Path + "?" + string.Join('&', Query);

        public string GetQuery(string name) => Uri.UnescapeDataString(Query.Single(p => p.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..]);

        public void SetQuery(string name, string encodedValue) =>
            Query[Query.FindIndex(p => p.StartsWith(name + "=", StringComparison.Ordinal))] = name + "=" + encodedValue;

        public void RemoveQuery(string name) => Query.RemoveAll(p => p.StartsWith(name + "=", StringComparison.Ordinal));

        public void DuplicateQuery(string name) => Query.Add(Query.Single(p => p.StartsWith(name + "=", StringComparison.Ordinal)));

        public string GetHeader(string name) => Headers.Single(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

        public void SetHeader(string name, string value) =>
            Headers[Headers.FindIndex(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase))] = new(name, value);

        public void RemoveHeader(string name) => Headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

        public void RenameHeader(string name, string newName)
        {
            var value = GetHeader(name);
            RemoveHeader(name);
            Headers.Add(new(newName, value));
        }
    }

    /// <summary>One server for the matrix; each case uses its own key, so cases cannot see each other's objects.</summary>
    public sealed class ServerFixture : IAsyncLifetime
    {
        internal InProcessServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await InProcessServer.StartAsync();

        public async Task DisposeAsync() => await Server.DisposeAsync();

        /// <summary>
        /// A presigned PUT that uses every component: an STS key (token), Content-Type, Content-MD5, user metadata, an
        /// additional header and the host as an additional header (so x-oss-additional-headers is present).
        /// </summary>
        internal async Task<Request> PresignAsync(string key)
        {
            var client = Server.CreateClient("sts-key", additionalHeaders: ["x-custom", "host"]);
            var put = new PutObjectRequest
            {
                Bucket = InProcessServer.Bucket,
                Key = key,
                ContentType = "text/plain",
                ContentMd5 = BodyMd5,
                Metadata = new Dictionary<string, string> { ["a"] = "1" },
            };
            put.Headers["x-custom"] = "yes";
            put.Headers["host"] = Server.Server.Endpoint.Authority;
            var presigned = await client.PresignAsync(put);
            var url = presigned.Url;
            var afterAuthority = url.IndexOf('/', "http://".Length);
            var question = url.IndexOf('?', StringComparison.Ordinal);
            var headers = new List<KeyValuePair<string, string>> { new("Host", Server.Server.Endpoint.Authority) };
            foreach (var (name, value) in presigned.SignedHeaders)
            {
                if (!name.Equals("host", StringComparison.OrdinalIgnoreCase))
                {
                    headers.Add(new(name, value));
                }
            }

            headers.Add(new("Content-Length", Body.Length.ToString(CultureInfo.InvariantCulture)));
            return new Request(presigned.Method, url[afterAuthority..question], [.. url[(question + 1)..].Split('&')], headers, Server.Server.Endpoint.Port);
        }

        /// <summary>The object's bytes, or null when there is none.</summary>
        internal async Task<byte[]?> ReadAsync(string key)
        {
            var presigned = await Server.CreateClient().PresignAsync(new GetObjectRequest { Bucket = InProcessServer.Bucket, Key = key });
            using var response = await Server.Http.GetAsync(InProcessServer.RawUri(presigned.Url));
            return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync() : null;
        }
    }
}
