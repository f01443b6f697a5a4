using CsCheck;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Server;
using OssPresign.Signing;

namespace OssPresign.Reliability.Tests.Auth;

/// <summary>
/// Correctly signed requests to mutate: presigned URLs made by <see cref="OssClient.PresignAsync(OssObjectRequest, PresignOptions?, CancellationToken)"/>
/// and Authorization-header requests made by the library's signer, over random keys (reserved, non-ASCII, slashes),
/// methods, buckets, addressing styles, signed headers, STS tokens, additional headers and user query parameters.
/// Some keys start with <c>/</c> or <c>\</c>, a name OSS refuses (<see cref="Base.KeyOssRefuses"/>): the server must
/// refuse those with 400 InvalidObjectName however well they are signed.
/// </summary>
internal static class FuzzCorpus
{
    public const string Region = "cn-hangzhou";
    public const string Authority = "127.0.0.1:9000";
    public static readonly DateTimeOffset SigningTime = new(2026, 3, 14, 15, 9, 26, TimeSpan.Zero);

    /// <summary>The keys both the server-side harness and the clients know.</summary>
    public static readonly LocalAccessKey[] Keys =
    [
        new("fuzz-ak", "fuzz-secret"),
        new("fuzz-sts", "fuzz-sts-secret") { SecurityToken = "sts/token+=" },
    ];

    private static readonly FakeTimeProvider Clock = new(SigningTime);
    private static readonly string[] KeyAlphabet = ["a", "b", "Z", "0", "/", " ", "+", "%", "~", "*", "中", "é", "!", "'", "(", "=", "&", "?", "#", ".", "..", "//", "\\"];
    private static readonly string[] Methods = ["PUT", "GET", "HEAD", "DELETE", "POST"];

    public static readonly Gen<Base> Bases =
        Gen.Select(
            Gen.Int[0, KeyAlphabet.Length - 1].Array[1, 12],
            Gen.Int[0, Methods.Length - 1],
            Gen.Int[0, 15],
            Gen.Int[0, 3],
            Gen.Bool)
        .Select(t => new Base(
            string.Concat(t.Item1.Select(i => KeyAlphabet[i])),
            Methods[t.Item2],
            Bucket: (t.Item3 & 1) == 0 ? "examplebucket" : "other-bucket",
            VirtualHosted: (t.Item3 & 2) != 0,
            ContentType: (t.Item3 & 4) != 0,
            Sts: (t.Item3 & 8) != 0,
            Metadata: t.Item4,
            HeaderMode: t.Item5));

    public static readonly Gen<Mutation[]> Mutations =
        Gen.Select(Gen.Int[0, Mutation.Kinds - 1], Gen.Int[0, 4096], Gen.Int[0, 4096], (k, p, c) => new Mutation(k, p, c)).Array[1, 4];

    /// <summary>
    /// A correctly signed request of this shape: accepted by the server as it is, unless its key is one OSS refuses.
    /// </summary>
    public static FuzzRequest Create(Base b)
    {
        var key = b.Sts ? Keys[1] : Keys[0];
        var headers = new List<KeyValuePair<string, string>>();
        if (b.ContentType)
        {
            headers.Add(new("Content-Type", "text/plain; charset=utf-8"));
        }

        for (var i = 0; i < b.Metadata; i++)
        {
            headers.Add(new($"x-oss-meta-m{i}", "value " + i));
        }

        // One additional (non-default) signed header on some requests, so the additional-headers list is fuzzed too.
        var additional = b.Metadata >= 2 ? new[] { "x-custom" } : [];
        if (additional.Length > 0)
        {
            headers.Add(new("x-custom", "yes"));
        }

        var parameters = b.Metadata == 3 ? new[] { new KeyValuePair<string, string>("versionId", "v 1"), new("uploads", "") } : [];
        var host = b.VirtualHosted ? $"{b.Bucket}.localhost:9000" : Authority;
        var path = "/" + (b.VirtualHosted ? string.Empty : b.Bucket + "/") + OssUriEncoding.EncodePath(b.Key);
        if (b.HeaderMode)
        {
            // Header mode (OSS-V4.md §1.14): x-oss-date and x-oss-content-sha256 (and the token) are set, then signed.
            headers.Add(new("x-oss-date", OssV4.FormatDateTime(SigningTime)));
            headers.Add(new("x-oss-content-sha256", OssV4.UnsignedPayload));
            if (key.SecurityToken is not null)
            {
                headers.Add(new("x-oss-security-token", key.SecurityToken));
            }

            var canonical = new CanonicalRequest(b.Method, b.Bucket, b.Key, parameters, headers, additional);
            var scope = new CredentialScope(key.AccessKeyId, OssV4.FormatDate(SigningTime), Region, OssV4.DefaultProduct);
            var signature = OssV4Signer.ComputeSignature(canonical, SigningTime, scope, key.AccessKeySecret);
            headers.Add(new("Authorization", new AuthorizationHeader(scope, additional, signature).ToString()));
            var query = string.Join('&', parameters.Select(p => OssUriEncoding.EncodeQueryComponent(p.Key) + "=" + OssUriEncoding.EncodeQueryComponent(p.Value)));
            return new FuzzRequest(b.Method, $"http://{host}{path}{(query.Length > 0 ? "?" + query : string.Empty)}", headers);
        }

        if (b.KeyOssRefuses)
        {
            // PresignAsync refuses such a key (OssNames.ValidateKey), so it is presigned here as another SDK would.
            return PresignByHand(b, key, host, path, headers, additional, parameters);
        }

        var client = new OssClient(new OssClientOptions
        {
            Region = Region,
            Endpoint = new Uri(b.VirtualHosted ? "http://localhost:9000" : "http://" + Authority),
            UsePathStyle = !b.VirtualHosted,
            CredentialsProvider = new StaticCredentialsProvider(key.AccessKeyId, key.AccessKeySecret, key.SecurityToken),
            AdditionalHeaders = additional,
            TimeProvider = Clock,
        });
        var requestHeaders = headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        var requestParameters = parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        OssObjectRequest request = b.Method switch
        {
            "GET" => new GetObjectRequest { Bucket = b.Bucket, Key = b.Key, Headers = requestHeaders, Parameters = requestParameters },
            "HEAD" => new HeadObjectRequest { Bucket = b.Bucket, Key = b.Key, Headers = requestHeaders, Parameters = requestParameters },
            _ => new PutObjectRequest { Bucket = b.Bucket, Key = b.Key, Headers = requestHeaders, Parameters = requestParameters },
        };

        // The credentials provider is static, so the presign completes synchronously.
        var presigned = client.PresignAsync(request).AsTask().GetAwaiter().GetResult();
        return new FuzzRequest(presigned.Method, presigned.Url, [.. presigned.SignedHeaders]);
    }

    /// <summary>
    /// A presigned URL as <see cref="OssClient.PresignAsync(OssObjectRequest, PresignOptions?, CancellationToken)"/>
    /// would make it (default validity, the same parameters and signed headers), from the V4 signer's parts.
    /// </summary>
    private static FuzzRequest PresignByHand(
        Base b, LocalAccessKey key, string host, string path, List<KeyValuePair<string, string>> headers, string[] additional,
        KeyValuePair<string, string>[] parameters)
    {
        var method = b.Method is "GET" or "HEAD" ? b.Method : "PUT";
        var auth = new PresignedQuery
        {
            Credential = new CredentialScope(key.AccessKeyId, OssV4.FormatDate(SigningTime), Region, OssV4.DefaultProduct),
            SigningTime = SigningTime,
            ExpiresSeconds = 900,
            AdditionalHeaders = additional,
            SecurityToken = key.SecurityToken,
        };
        var canonical = new CanonicalRequest(method, b.Bucket, b.Key, [.. parameters, .. auth.ToParameters(includeSignature: false)], headers, additional);
        var signature = OssV4Signer.ComputeSignature(canonical, SigningTime, auth.Credential, key.AccessKeySecret);
        var query = string.Join('&', parameters.Concat(auth.WithSignature(signature).ToParameters(includeSignature: true))
            .Select(p => OssUriEncoding.EncodeQueryComponent(p.Key) + "=" + OssUriEncoding.EncodeQueryComponent(p.Value)));
        return new FuzzRequest(method, $"http://{host}{path}?{query}", headers);
    }

    /// <summary>The shape of a correctly signed request.</summary>
    internal sealed record Base(string Key, string Method, string Bucket, bool VirtualHosted, bool ContentType, bool Sts, int Metadata, bool HeaderMode)
    {
        /// <summary>
        /// Whether OSS refuses the key's name (400 InvalidObjectName): it starts with '/' or '\'. Written out here
        /// rather than taken from OssNames, which is under test; the generated keys are never empty or over 1023 bytes.
        /// </summary>
        public bool KeyOssRefuses => Key[0] is '/' or '\\';

        public override string ToString() =>
            $"{Method} {Bucket}/{Key} vhost={VirtualHosted} type={ContentType} sts={Sts} meta={Metadata} header={HeaderMode}";
    }

}
