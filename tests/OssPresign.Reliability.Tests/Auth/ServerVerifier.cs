using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using OssPresign.Server.Auth;
using OssPresign.Signing;

namespace OssPresign.Reliability.Tests.Auth;

/// <summary>
/// The server's own front door without sockets: the raw target and Host read by <see cref="OssRequestTarget"/>, the
/// bucket and key checks of the request handler, then <see cref="RequestAuthenticator.TryAuthenticate"/>, on a fake
/// clock at the signing time. Fast enough for a million inputs; the HTTP fuzz covers the same path through Kestrel.
/// </summary>
internal sealed class ServerVerifier
{
    private static readonly SearchValues<char> NotInName = SearchValues.Create("\r\n\0: \t");
    private static readonly SearchValues<char> NotInValue = SearchValues.Create("\r\n\0");
    private readonly RequestAuthenticator _authenticator = new(
        new AccessKeyStore(FuzzCorpus.Keys), new FakeTimeProvider(FuzzCorpus.SigningTime), NullLogger<RequestAuthenticator>.Instance);

    /// <returns>Null when accepted; else the status and OSS error code of the refusal.</returns>
    public Refusal? Verify(FuzzRequest request)
    {
        var (authority, target) = SignedParts.Split(request.Url);
        // Kestrel keeps a header with an empty value (it is signed like any other; see the tamper matrix), while
        // HeaderDictionary's setters drop one: fill the store directly, as Kestrel's own header collection holds it.
        var store = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        if (!request.Headers.Any(h => h.Key.Equals("host", StringComparison.OrdinalIgnoreCase)))
        {
            // Sent as the Host header (the HTTP fuzz does), so trimmed as every header value is below.
            store["Host"] = authority.Trim(' ', '\t');
        }

        foreach (var (name, value) in request.Headers)
        {
            // What Kestrel does to a header line first: CR, LF and NUL break the framing (400); SP and HTAB around the
            // value are not part of it (RFC 9110 §5.5).
            if (name.Length == 0 || name.AsSpan().ContainsAny(NotInName) || value.AsSpan().ContainsAny(NotInValue))
            {
                return new Refusal(400, null);
            }

            store[name] = StringValues.Concat(store.GetValueOrDefault(name), value.Trim(' ', '\t'));
        }

        var context = new DefaultHttpContext();
        var feature = context.Features.Get<IHttpRequestFeature>()!;
        feature.RawTarget = target;
        feature.Method = request.Method;
        feature.Headers = new HeaderDictionary(store);
        var http = context.Request;
        if (!OssRequestTarget.TryRead(http, out var parsed))
        {
            return new Refusal(400, "InvalidURI");
        }

        // As OssRequestHandler does before authenticating, in its order.
        if ((parsed!.Bucket is null && parsed.Key is not null) || (parsed.Bucket is not null && !OssNames.IsValidBucketName(parsed.Bucket)))
        {
            return new Refusal(400, OssErrorCodes.InvalidBucketName);
        }

        if (parsed.Key is not null && OssNames.ValidateKey(parsed.Key) is not null)
        {
            return new Refusal(400, OssErrorCodes.InvalidObjectName);
        }

        if (!_authenticator.TryAuthenticate(http, parsed, FuzzCorpus.Region, out var principal, out var error))
        {
            return new Refusal(error!.StatusCode, error.Code);
        }

        // Anonymous (no signature left at all) is refused by the handler: every bucket is private.
        return principal is null ? new Refusal(403, OssErrorCodes.AccessDenied) : null;
    }
}

/// <summary>A refused request: the HTTP status, and the OSS error code (null for Kestrel's own 400, which has none).</summary>
internal readonly record struct Refusal(int Status, string? Code);
