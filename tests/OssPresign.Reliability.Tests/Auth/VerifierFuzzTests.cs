using System.Diagnostics;
using CsCheck;
using OssPresign.Signing;
using Xunit.Abstractions;

namespace OssPresign.Reliability.Tests.Auth;

/// <summary>
/// Property-based fuzz (CsCheck) of the URL/header parsers and the verifier: random mutations of correctly signed
/// presigned URLs and Authorization-header requests. Never an exception, every refusal a 4xx, and never accepted
/// unless every signed part is what was signed (<see cref="SignedParts"/>); equivalent requests (same signed parts,
/// same signature, same host) are accepted, or refused as InvalidObjectName when OSS refuses the key's name.
/// </summary>
public sealed class VerifierFuzzTests(ITestOutputHelper output)
{
    private static readonly Gen<(FuzzCorpus.Base Base, Mutation[] Mutations)> Inputs = Gen.Select(FuzzCorpus.Bases, FuzzCorpus.Mutations);
    private static readonly Refusal InvalidObjectName = new(400, OssErrorCodes.InvalidObjectName);

    [Fact]
    public void ServerVerifier_MutatedSignedRequests_NeverThrow_RefuseWith4xx_AndAcceptOnlyUnchangedSignedParts()
    {
        var iterations = Stress.Pick(120_000L, 1_000_000L);
        var verifier = new ServerVerifier();
        long accepted = 0, refused = 0, equivalentAccepted = 0, refusedNames = 0;
        var stopwatch = Stopwatch.StartNew();
        Inputs.Sample((b, mutations) =>
        {
            var original = FuzzCorpus.Create(b);
            var signedParts = SignedParts.Of(original);
            if (b.KeyOssRefuses)
            {
                Assert.True(verifier.Verify(original) == InvalidObjectName, $"the unmutated request for a key OSS refuses must be InvalidObjectName: {original}");
                Interlocked.Increment(ref refusedNames);
            }
            else
            {
                Assert.True(verifier.Verify(original) is null, $"the unmutated request must be accepted: {original}");
            }

            var mutated = Mutate(original, mutations);

            var refusal = verifier.Verify(mutated);
            var unchanged = SignedParts.Of(mutated) == signedParts;
            if (refusal is null)
            {
                // Unchanged signed parts include the key, so this also means never a key OSS refuses.
                Assert.True(unchanged, $"accepted with changed signed parts: {mutated}");
                Interlocked.Increment(ref accepted);
                return;
            }

            Assert.InRange(refusal.Value.Status, 400, 499);
            Interlocked.Increment(ref refused);
            var equivalent = unchanged && SameSignatureAndHost(original, mutated) && !HasDuplicates(mutated) && Sendable(mutated);
            if (b.KeyOssRefuses)
            {
                Assert.True(!equivalent || refusal == InvalidObjectName, $"refused ({refusal}) for another reason than the key's name, although nothing signed changed: {mutated}");
            }
            else
            {
                Assert.False(equivalent, $"refused ({refusal}) although nothing signed changed: {mutated}");
            }

            if (unchanged)
            {
                Interlocked.Increment(ref equivalentAccepted);
            }
        }, iter: iterations, print: t => $"{t.Item1} {string.Join(' ', t.Item2)}");

        output.WriteLine($"{accepted + refused} mutated requests in {stopwatch.Elapsed.TotalSeconds:F1} s: {accepted} accepted (all with unchanged signed parts), " +
            $"{refused} refused with a 4xx, 0 exceptions, 0 5xx; {refusedNames} originals with a key starting with '/' or '\\', each refused as InvalidObjectName");
    }

    [Fact]
    public void PresignedUrlParser_MutatedUrls_NeverThrows_AndVerifiesOnlyUnchangedSignedParts()
    {
        var iterations = Stress.Pick(60_000L, 500_000L);
        long parsed = 0, valid = 0, total = 0;
        var stopwatch = Stopwatch.StartNew();
        Inputs.Where(t => !t.Item1.HeaderMode).Sample((b, mutations) =>
        {
            var original = FuzzCorpus.Create(b);
            var signedParts = SignedParts.Of(original);
            var mutated = Mutate(original, mutations);

            // The parser checks a URL: its host is the URL's, whatever Host header a mutation added.
            mutated.Headers.RemoveAll(h => h.Key.Equals("host", StringComparison.OrdinalIgnoreCase));
            Interlocked.Increment(ref total);

            // inspect's parser: the bucket of a custom domain is given, as `inspect --bucket` does.
            if (!PresignedUrl.TryParse(mutated.Url, style: null, customDomainBucket: b.Bucket, out var url, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                return;
            }

            Interlocked.Increment(ref parsed);
            var secret = FuzzCorpus.Keys.FirstOrDefault(k => k.AccessKeyId == url!.Query.Credential.AccessKeyId)?.AccessKeySecret;
            if (secret is null || !url!.Verify(mutated.Method, mutated.Headers, secret).IsValid)
            {
                return;
            }

            Interlocked.Increment(ref valid);

            // With another host the parser may read another addressing style (a custom domain, whose bucket is given):
            // the bucket and key then come from the style, which the oracle does not model; the rest still must hold.
            if (SignedParts.Split(mutated.Url).Authority == SignedParts.Split(original.Url).Authority)
            {
                Assert.True(SignedParts.Of(mutated) == signedParts, $"verified with changed signed parts: {mutated}");
            }
            else
            {
                Assert.True(SignedParts.Of(mutated, withTarget: false) == SignedParts.Of(original, withTarget: false), $"verified with changed signed parts: {mutated}");
            }
        }, iter: iterations, print: t => $"{t.Item1} {string.Join(' ', t.Item2)}");

        output.WriteLine($"{total} mutated URLs in {stopwatch.Elapsed.TotalSeconds:F1} s: {parsed} parsed, {valid} verified (all with unchanged signed parts), 0 exceptions");
    }

    internal static FuzzRequest Mutate(FuzzRequest original, Mutation[] mutations)
    {
        var mutated = new FuzzRequest(original.Method, original.Url, [.. original.Headers]);
        foreach (var mutation in mutations)
        {
            mutation.Apply(mutated);
        }

        return mutated;
    }

    /// <summary>Whether the signature (query or Authorization) and the host are as they were.</summary>
    private static bool SameSignatureAndHost(FuzzRequest original, FuzzRequest mutated) =>
        SignedParts.Host(original) == SignedParts.Host(mutated) && Signature(original) == Signature(mutated);

    private static string Signature(FuzzRequest request)
    {
        var (_, target) = SignedParts.Split(request.Url);
        var query = target.Contains('?', StringComparison.Ordinal) ? target[(target.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty;
        var fromQuery = query.Split('&').Where(p => p.StartsWith("x-oss-signature=", StringComparison.Ordinal)).Select(p => Uri.UnescapeDataString(p[16..]));
        var fromHeader = request.Headers.Where(h => h.Key.Equals("authorization", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);
        return string.Join('|', fromQuery.Concat(fromHeader));
    }

    /// <summary>Whether HTTP/1.1 can carry the headers at all: CR, LF and NUL cannot be in a header line.</summary>
    private static bool Sendable(FuzzRequest request) =>
        !request.Headers.Any(h => h.Key.Length == 0 || h.Key.AsSpan().IndexOfAny("\r\n\0: \t".AsSpan()) >= 0 || h.Value.AsSpan().IndexOfAny("\r\n\0".AsSpan()) >= 0);

    /// <summary>A repeated auth parameter or header is refused as ambiguous even when both copies agree.</summary>
    private static bool HasDuplicates(FuzzRequest request)
    {
        var (_, target) = SignedParts.Split(request.Url);
        var query = target.Contains('?', StringComparison.Ordinal) ? target[(target.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty;
        var names = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => Uri.UnescapeDataString(p.Split('=')[0])).Where(PresignedQuery.IsAuthParameter);
        return names.GroupBy(n => n).Any(g => g.Count() > 1)
            || request.Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1 && g.Key.Equals("host", StringComparison.OrdinalIgnoreCase));
    }
}
