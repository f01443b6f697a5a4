using OssPresign.Signing;

namespace OssPresign.Cli;

/// <summary>
/// Explains a refused upload. For a signature mismatch with the secret at hand, it recomputes the signature with the
/// headers sent, then without each signed one, and names the header that breaks it; without the secret it says what
/// most often differs.
/// </summary>
internal static class UploadHints
{
    private static readonly string[] OtherMethods = ["GET", "HEAD", "POST", "DELETE"];

    public static IEnumerable<string> For(OssRequestFailedException error, PresignedUrl? url, IReadOnlyList<KeyValuePair<string, string>> sent, string? secret)
    {
        if (error.Code == OssErrorCodes.SignatureDoesNotMatch)
        {
            return url is not null && secret is not null && url.Bucket is not null
                ? WithSecret(url, sent, secret)
                : WithoutSecret(sent);
        }

        if (error.StatusCode is >= 300 and < 400)
        {
            return [$"The server answered with a redirect (HTTP {error.StatusCode}), which an upload does not follow: a presigned URL is " +
                "signed for its host and path, so it cannot move. Presign it for the endpoint the bucket is on."];
        }

        if (error.Code == OssErrorCodes.AccessDenied && error.Message.Contains("expired", StringComparison.OrdinalIgnoreCase))
        {
            return ["The URL has expired by the server's clock: presign a new one."];
        }

        if (error.Code == OssErrorCodes.InvalidAccessKeyId)
        {
            return ["The server does not know the access key id in the URL, or it is disabled: presign with a key the server accepts."];
        }

        return error.Code is OssErrorCodes.BadDigest or OssErrorCodes.InvalidDigest
            ? ["The Content-MD5 sent does not match the file: compute it from this file (base64 of the MD5) and presign again."]
            : [];
    }

    private static List<string> WithSecret(PresignedUrl url, IReadOnlyList<KeyValuePair<string, string>> sent, string secret)
    {
        if (url.Verify("PUT", sent, secret).IsValid)
        {
            return ["The URL verifies here with the headers sent, so the server built another canonical request: compare it with `oss-presign inspect` (the server's is below when it sent one)."];
        }

        for (var i = 0; i < sent.Count; i++)
        {
            var name = sent[i].Key;
            if (!CanonicalRequest.IsSigned(name, url.Query.AdditionalHeaders))
            {
                continue;
            }

            var index = i;
            var without = sent.Where((_, j) => j != index).ToList();
            if (url.Verify("PUT", without, secret).IsValid)
            {
                return [$"{name} was sent but the URL did not sign it: upload without it, or presign with it."];
            }
        }

        foreach (var method in OtherMethods)
        {
            if (url.Verify(method, sent, secret).IsValid || url.Verify(method, [], secret).IsValid)
            {
                return [$"The URL was presigned for {method}, not PUT: presign with --method put."];
            }
        }

        return
        [
            "The URL does not verify with OSS_ACCESS_KEY_SECRET for a PUT with the headers sent: it was signed with header values " +
            "that were not sent exactly (Content-Type, Content-MD5, x-oss-*), signed with another key, or changed after signing. " +
            "`oss-presign inspect URL --header ...` shows the canonical request.",
        ];
    }

    private static List<string> WithoutSecret(IReadOnlyList<KeyValuePair<string, string>> sent)
    {
        var signedSent = sent.Where(h => CanonicalRequest.IsSignedByDefault(h.Key)).Select(h => h.Key).ToList();
        var hints = new List<string>();
        if (signedSent.Exists(h => h.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            // Without the secret nothing here can tell which header is at fault: each hint says what to check.
            hints.Add("Content-Type was sent: if the URL did not sign it, or signed another value, upload without --content-type, " +
                "or presign with --content-type and send exactly that value.");
        }

        foreach (var name in signedSent.Where(h => !h.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            hints.Add($"{name} was sent: the URL may not have signed it, or signed another value.");
        }

        if (signedSent.Count == 0)
        {
            hints.Add("No Content-Type, Content-MD5 or x-oss-* header was sent: if the URL signed any (presign prints them), send each " +
                "with --content-type or --header exactly as signed.");
        }

        hints.Add("A URL changed after signing (a character of its key or query) fails the same way. Set OSS_ACCESS_KEY_SECRET " +
            "to have the signature checked here.");
        return hints;
    }
}
