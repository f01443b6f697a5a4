using System.CommandLine;
using System.Globalization;
using OssPresign.Endpoints;
using OssPresign.Signing;
using Spectre.Console;

namespace OssPresign.Cli.Commands;

/// <summary>
/// <c>inspect URL</c>: decodes a V4 presigned URL with <see cref="PresignedUrl"/> (the parser the server uses) and,
/// given the secret, recomputes its signature. Exit code 0 when the URL is usable (decoded, not expired, and valid if
/// checked), 1 otherwise.
/// </summary>
internal static class InspectCommand
{
    private static readonly string[] Methods = ["PUT", "GET", "HEAD", "POST", "DELETE"];

    public static Command Create(CliContext context)
    {
        var url = CliOptions.Url("The presigned URL (quote it).");
        var headers = CliOptions.Header("A header the request will send, for the signature check (repeatable).");
        var secretStdin = new Option<bool>("--secret-stdin") { Description = "Read the access key secret from the first line of standard input (else OSS_ACCESS_KEY_SECRET)." };
        var method = new Option<string?>("--method") { Description = "The method to check the signature for; default: find which of PUT, GET, HEAD, POST, DELETE it is." };
        var bucket = new Option<string?>("--bucket") { Description = "The bucket of a custom-domain (CNAME) URL, which the URL itself does not name." };
        var command = new Command("inspect", "Explain a presigned URL; with the secret, check its signature.")
        {
            url, headers, secretStdin, method, bucket,
        };
        CliOptions.AddCommandValidator(command, result =>
        {
            if (result.GetValue(method) is { } m && !Methods.Contains(m.ToUpperInvariant()))
            {
                result.AddError($"--method '{m}' is not one of {string.Join(", ", Methods)}.");
            }
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetRequiredValue(url).Trim();
            var bucketName = parse.GetValue(bucket);
            if (!PresignedUrl.TryParse(text, style: bucketName is null ? null : AddressingStyle.CName, bucketName, out var parsed, out var error))
            {
                await context.ErrorWriter.WriteLineAsync($"error: not a presigned OSS V4 URL: {error}").ConfigureAwait(false);
                if (CliFormat.CutShort(text) is { } cutShort)
                {
                    await context.ErrorWriter.WriteLineAsync($"hint: {cutShort}").ConfigureAwait(false);
                }

                return Program.Failed;
            }

            var secret = parse.GetValue(secretStdin)
                ? (await context.In.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.Trim()
                : EnvironmentCredentials.Secret(context);
            if (parse.GetValue(secretStdin) && string.IsNullOrEmpty(secret))
            {
                await context.ErrorWriter.WriteLineAsync(
                    "error: --secret-stdin read no secret: pipe it in on the first line, e.g. printf '%s\\n' \"$OSS_ACCESS_KEY_SECRET\" | oss-presign inspect URL --secret-stdin")
                    .ConfigureAwait(false);
                return Program.BadUsage;
            }

            var now = context.TimeProvider.GetUtcNow();
            var sent = parse.GetValue(headers)!;
            WriteDescription(context, parsed!, now, sent);
            var usable = !parsed!.IsExpiredAt(now);

            // A URL can be signed correctly for a name OSS refuses (400 InvalidObjectName or InvalidBucketName
            // whatever the signature), e.g. by an SDK that does not check names.
            if (NameProblem(parsed) is { } nameProblem)
            {
                context.Out.WriteLine($"Name: refused by OSS: {nameProblem}");
                usable = false;
            }

            if (CliFormat.CutShort(text) is { } damage)
            {
                context.Out.WriteLine($"URL: damaged: {damage}");
                usable = false;
            }

            if (string.IsNullOrEmpty(secret))
            {
                context.Out.WriteLine("Signature: not checked (set OSS_ACCESS_KEY_SECRET or pass --secret-stdin to check it).");
                return usable ? Program.Success : Program.Failed;
            }

            if (parsed.Bucket is null)
            {
                context.Out.WriteLine("Signature: not checked: the bucket of a custom-domain URL is unknown; pass --bucket.");
                return Program.Failed;
            }

            var keyId = context.GetEnvironmentVariable(EnvironmentVariableCredentialsProvider.AccessKeyIdVariable);
            if (!parse.GetValue(secretStdin) && !string.IsNullOrEmpty(keyId) && keyId.Trim() != parsed.Query.Credential.AccessKeyId)
            {
                context.Out.WriteLine($"Note: OSS_ACCESS_KEY_SECRET belongs to {keyId.Trim()}, but the URL was signed by {parsed.Query.Credential.AccessKeyId}.");
            }

            var requested = parse.GetValue(method)?.ToUpperInvariant();
            var checks = (requested is null ? Methods : [requested]).Select(m => parsed.Verify(m, sent, secret)).ToList();
            var check = checks.Find(c => c.IsValid) ?? checks[0];

            // The method is part of what is signed: a URL presigned for POST (a multipart step) refuses a PUT.
            var otherMethod = check.IsValid || requested is null
                ? null
                : Methods.Where(m => m != requested).Select(m => parsed.Verify(m, sent, secret)).FirstOrDefault(c => c.IsValid);
            context.Out.WriteLine(
                check.IsValid ? $"Signature: valid for {check.Method}{(sent.Count == 0 ? " with no signed headers" : " with the given headers")}."
                : otherMethod is not null ? $"Signature: INVALID for {requested}: the URL was signed for {otherMethod.Method}, so a {requested} " +
                  $"with it gets SignatureDoesNotMatch. Send it as {otherMethod.Method}."
                : $"Signature: INVALID for {(requested ?? string.Join(", ", Methods))} with {(sent.Count == 0 ? "no headers" : "the given headers")}: " +
                  "the URL was changed after signing, signed with another secret, or signed headers (Content-Type, Content-MD5, " +
                  "x-oss-*) that must be given with --header.");

            if (!check.IsValid && otherMethod is null && sent.Count > 0 && FindExtraHeader(parsed, requested, sent, secret) is { } extra)
            {
                // The commonest mistake: a header the URL did not sign (a browser's or urllib's Content-Type).
                context.Out.WriteLine(
                    $"Hint: the signature is valid for {extra.Method} without '{extra.Header.Key}: {extra.Header.Value}': the URL did not sign " +
                    $"that header, so a request that sends it gets SignatureDoesNotMatch. Send it only if the URL is presigned with it.");
            }

            // The canonical request and string to sign hold no secret, only what the URL and headers already show, but for
            // the STS token, which is shortened.
            var writer = context.OutWriter;
            await writer.WriteLineAsync($"Canonical request ({check.Method}):").ConfigureAwait(false);
            await writer.WriteLineAsync(CliFormat.HideSecurityToken(check.CanonicalRequest)).ConfigureAwait(false);
            await writer.WriteLineAsync("String to sign:").ConfigureAwait(false);
            await writer.WriteLineAsync(check.StringToSign).ConfigureAwait(false);
            return check.IsValid && usable ? Program.Success : Program.Failed;
        });
        return command;
    }

    /// <summary>Why OSS refuses the URL's bucket or key name whatever its signature, or null.</summary>
    private static string? NameProblem(PresignedUrl url) =>
        url.Bucket is { } bucket && !OssNames.IsValidBucketName(bucket)
            ? $"'{bucket}' is not a bucket name (3-63 characters of a-z, 0-9 and '-', not starting or ending with '-')."
            : url.Key is { } key ? OssNames.ValidateKey(key) : null;

    /// <summary>The one given header whose removal makes the signature valid, if there is one.</summary>
    private static (string Method, KeyValuePair<string, string> Header)? FindExtraHeader(
        PresignedUrl url, string? requested, List<KeyValuePair<string, string>> sent, string secret)
    {
        foreach (var header in sent)
        {
            var others = sent.Where(h => !ReferenceEquals(h.Key, header.Key)).ToList();
            foreach (var method in requested is null ? Methods : [requested])
            {
                if (url.Verify(method, others, secret).IsValid)
                {
                    return (method, header);
                }
            }
        }

        return null;
    }

    private static void WriteDescription(CliContext context, PresignedUrl url, DateTimeOffset now, List<KeyValuePair<string, string>> sent)
    {
        var query = url.Query;
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string label, string value) => grid.AddRow(new Text(label), new Text(value));
        Row("Endpoint:", $"{url.Scheme}://{url.Authority}");
        Row("Style:", url.Style switch
        {
            AddressingStyle.VirtualHosted => "virtual-hosted (bucket in the host name)",
            AddressingStyle.Path => "path-style (bucket in the path)",
            _ => "custom domain (CNAME: the bucket is not in the URL)",
        });
        Row("Bucket:", url.Bucket ?? "(unknown: pass --bucket)");
        Row("Key:", url.Key ?? "(none: a bucket-level URL)");
        Row("Region:", query.Credential.Region);
        Row("Access key id:", query.Credential.AccessKeyId);
        Row("Signed at:", CliFormat.Instant(query.SigningTime));
        Row("Expires at:", $"{CliFormat.Instant(url.ExpiresOn)} ({query.ExpiresSeconds.ToString(CultureInfo.InvariantCulture)} s after signing)");
        Row("Time left:", url.IsExpiredAt(now) ? CliFormat.TimeLeft(url.ExpiresOn, now) : $"{CliFormat.Span(url.ExpiresOn - now)}");
        Row("Additional headers:", query.AdditionalHeaders.Count == 0 ? "none" : string.Join(";", query.AdditionalHeaders));
        Row("STS token:", query.SecurityToken is null ? "absent" : "present");
        if (MultipartStep(url) is { } step)
        {
            Row("Multipart:", step);
        }

        var others = url.Parameters.Where(p => !PresignedQuery.IsAuthParameter(p.Key)).Select(p => p.Value.Length == 0 ? p.Key : $"{p.Key}={p.Value}").ToList();
        if (others.Count > 0)
        {
            Row("Other parameters:", string.Join('\n', others));
        }

        Row("Required headers:", RequiredHeaders(query));
        if (sent.Count > 0)
        {
            Row("Headers given:", string.Join('\n', sent.Select(h => $"{h.Key}: {h.Value}")));
        }

        context.Out.Write(grid);
    }

    /// <summary>Which step of a multipart upload the URL is, from its parameters (the method tells the rest); null for none.</summary>
    private static string? MultipartStep(PresignedUrl url)
    {
        string? Parameter(string name) => url.Parameters.FirstOrDefault(p => p.Key == name) is { Key: not null } found ? found.Value : null;
        var uploadId = Parameter("uploadId");
        return (Parameter("uploads"), uploadId, Parameter("partNumber")) switch
        {
            (not null, null, _) => "InitiateMultipartUpload (POST)",
            (_, not null, { } part) => $"UploadPart (PUT), part {part}\nupload {uploadId}",
            (_, not null, null) => $"Complete (POST), Abort (DELETE) or ListParts (GET)\nupload {uploadId}",
            _ => null,
        };
    }

    private static string RequiredHeaders(PresignedQuery query)
    {
        // The URL names only the additional headers; the default signed set leaves no trace in it (OSS-V4.md §1.7).
        var lines = query.AdditionalHeaders.Select(h => $"{h} (named in x-oss-additional-headers)").ToList();
        lines.Add("Content-Type, Content-MD5 and x-oss-* exactly as signed, and no others (the URL does not list them)");
        return string.Join('\n', lines);
    }
}
