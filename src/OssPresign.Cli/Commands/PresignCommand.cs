using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using OssPresign.Endpoints;
using OssPresign.Signing;
using OssPresign.Upload;
using Spectre.Console;

namespace OssPresign.Cli.Commands;

/// <summary>
/// <c>presign</c>: the seed's Go sample as a command. Prints method, expiration, URL, the headers the request must
/// send and a curl line that sends exactly those; <c>--json</c> prints only the result object.
/// </summary>
internal static class PresignCommand
{
    /// <summary>The values of --method: the single-request operations, then the steps of a multipart upload.</summary>
    private static readonly string[] Methods = ["put", "get", "head", "initiate", "part", "complete", "abort", "multipart"];

    /// <summary>The highest part number OSS accepts.</summary>
    private const int MaxPartNumber = 10_000;

    public static Command Create(CliContext context)
    {
        var region = new Option<string>("--region") { Description = "The bucket's region, e.g. cn-hangzhou.", Required = true };
        var bucket = new Option<string>("--bucket") { Description = "The bucket.", Required = true };
        var key = new Option<string>("--object") { Description = "The object key, e.g. exampledir/exampleobject.txt.", Required = true };
        var method = new Option<string>("--method")
        {
            Description = "The operation the URL allows: put, get or head; a step of a multipart upload: initiate, part, complete or abort; " +
                "or multipart: initiate one (unless --upload-id is given) and print every URL it needs as JSON, for 'upload'.",
            DefaultValueFactory = _ => "put",
            CustomParser = r => r.Tokens.Count == 0 ? "put" : r.Tokens[^1].Value.ToLowerInvariant(),
        };
        method.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !Methods.Contains(r.Tokens[^1].Value.ToLowerInvariant()))
            {
                r.AddError($"--method '{r.Tokens[^1].Value}' is not one of {string.Join(", ", Methods)}.");
            }
        });
        var uploadId = new Option<string?>("--upload-id") { Description = "The multipart upload's id, from initiate (part, complete and abort)." };
        var partNumber = new Option<int?>("--part-number")
        {
            Description = "The part's number, 1 to 10000 (part only).",

            // Said in our words: System.CommandLine's own error for 'abc' names the type System.Nullable`1[System.Int32].
            CustomParser = result =>
            {
                if (result.Tokens is not [.., { } given])
                {
                    return null;
                }

                if (!int.TryParse(given.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    result.AddError($"--part-number '{given.Value}' is not a number from 1 to {MaxPartNumber}.");
                    return null;
                }

                return number;
            },
        };
        var size = new Option<string?>("--size") { Description = "The size of the file to upload, in bytes or with K/KiB, M/MiB, G/GiB (powers of 1024), e.g. 900MiB (multipart only).", HelpName = "bytes" };
        var partSize = new Option<string?>("--part-size") { Description = "The size of each part but the last: 100KiB to 5GiB; default 8MiB (multipart only).", HelpName = "bytes" };
        var expires = new Option<string?>("--expires") { Description = "Validity from now: 30s, 10m, 1h, 7d (at most 7d). Default 15m.", HelpName = "duration" };
        var expiration = new Option<string?>("--expiration") { Description = "Absolute expiry, ISO-8601 (e.g. 2026-12-01T12:00:00Z).", HelpName = "time" };
        var contentType = new Option<string?>("--content-type") { Description = "Content-Type to sign; the upload must send exactly this value (put, initiate, multipart)." };
        var contentMd5 = new Option<string?>("--content-md5") { Description = "Content-MD5 to sign: base64 of the body's MD5 (put, part)." };
        var meta = CliOptions.Meta();
        var headers = CliOptions.Header("Another header to sign and send, e.g. \"x-oss-object-acl: private\"; one not signed by default (other than Content-Type, Content-MD5, x-oss-*) also needs --additional-header (repeatable).");
        var additional = new Option<string[]>("--additional-header")
        {
            Description = "Also sign this header (given with --header, or host), listed in x-oss-additional-headers (repeatable).",
            HelpName = "name",
            DefaultValueFactory = _ => [],
        };
        var endpoint = new Option<string?>("--endpoint") { Description = "Endpoint URL, e.g. http://127.0.0.1:9000; default from the region." };
        var pathStyle = new Option<bool>("--path-style") { Description = "Put the bucket in the path: endpoint/bucket/key." };
        var cname = new Option<bool>("--cname") { Description = "The endpoint is a custom domain bound to the bucket." };
        var @internal = new Option<bool>("--internal") { Description = "Use the internal endpoint oss-REGION-internal.aliyuncs.com." };
        var accelerate = new Option<bool>("--accelerate") { Description = "Use the acceleration endpoint oss-accelerate.aliyuncs.com." };
        var dualStack = new Option<bool>("--dual-stack") { Description = "Use the dual-stack endpoint REGION.oss.aliyuncs.com." };
        var json = new Option<bool>("--json") { Description = "Print only {\"method\",\"url\",\"expiration\",\"signedHeaders\"} as JSON (multipart always prints its JSON)." };

        var command = new Command("presign", "Create a presigned URL. Credentials: OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN.")
        {
            region, bucket, key, method, uploadId, partNumber, size, partSize, expires, expiration, contentType, contentMd5, meta, headers, additional,
            endpoint, pathStyle, cname, @internal, accelerate, dualStack, json,
        };

        CliOptions.AddCommandValidator(command, result =>
        {
            var now = context.TimeProvider.GetUtcNow();
            if (result.GetValue(region) is { } regionValue && CliOptions.RegionProblem(regionValue) is { } regionError)
            {
                result.AddError(regionError);
            }

            // The library would quietly pick one (an endpoint over the flags, dual-stack over internal over accelerate)
            // or, for --cname alone, address the region's endpoint with no bucket in the URL.
            var endpointFlags = new[] { @internal, accelerate, dualStack }.Where(f => result.GetValue(f)).Select(f => f.Name).ToList();
            if (endpointFlags.Count > 1)
            {
                result.AddError($"Give only one of {string.Join(", ", endpointFlags)}: each picks a different endpoint of the region.");
            }
            else if (endpointFlags.Count == 1 && result.GetValue(endpoint) is not null)
            {
                result.AddError($"Give --endpoint or {endpointFlags[0]}, not both: {endpointFlags[0]} picks an endpoint of the region.");
            }

            if (result.GetValue(cname) && result.GetValue(endpoint) is null)
            {
                result.AddError("--cname needs --endpoint, the custom domain bound to the bucket.");
            }

            if (result.GetValue(bucket) is { } bucketValue && !OssNames.IsValidBucketName(bucketValue))
            {
                result.AddError($"--bucket '{bucketValue}' is not a bucket name: use 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.");
            }

            if (result.GetValue(key) is { } keyValue && OssNames.ValidateKey(keyValue) is { } keyError)
            {
                result.AddError($"--object: {keyError}");
            }

            var expiresText = result.GetValue(expires);
            var expirationText = result.GetValue(expiration);
            TimeSpan? ttl = null;
            if (expiresText is not null && expirationText is not null)
            {
                result.AddError("Give --expires or --expiration, not both.");
            }
            else if (expiresText is not null)
            {
                ttl = CliOptions.TryParseDuration(expiresText, out var duration) ? duration : null;
                if (ttl is null)
                {
                    result.AddError($"--expires '{expiresText}' is not a duration: use a number and a unit, e.g. 30s, 10m, 1h or 7d.");
                }
            }
            else if (expirationText is not null)
            {
                if (!CliOptions.TryParseInstant(expirationText, out var instant))
                {
                    result.AddError($"--expiration '{expirationText}' is not an ISO-8601 time, e.g. 2026-12-01T12:00:00Z.");
                }
                else if (instant <= now)
                {
                    result.AddError($"--expiration {CliFormat.Instant(instant)} is in the past (now is {CliFormat.Instant(now)}).");
                }
                else
                {
                    ttl = instant - now;
                }
            }

            if (ttl > TimeSpan.FromSeconds(OssV4.MaxExpiresSeconds))
            {
                // In seconds as well: a rounded span ("7 d") would not show why 604801s is too long.
                result.AddError(
                    $"The URL would be valid for {CliFormat.Span(ttl.Value)} ({Math.Ceiling(ttl.Value.TotalSeconds).ToString("0", CultureInfo.InvariantCulture)} seconds); " +
                    $"the limit is 7 days ({OssV4.MaxExpiresSeconds} seconds).");
            }

            var methodValue = result.GetValue(method) ?? "put";
            var initiates = methodValue is "put" or "initiate" || (methodValue == "multipart" && result.GetValue(uploadId) is null);
            if (!initiates && (result.GetValue(contentType) is not null || result.GetValue(meta)!.Count > 0))
            {
                result.AddError(methodValue == "multipart"
                    ? "--content-type and --meta go to the initiation, which --upload-id says has happened already."
                    : "--content-type and --meta are for --method put, initiate or multipart (the object's headers); use --header to sign other headers.");
            }

            if (methodValue == "multipart")
            {
                if (result.GetValue(size) is not { } sizeText)
                {
                    result.AddError("--method multipart needs --size, the size of the file to upload.");
                }
                else if (!CliOptions.TryParseSize(sizeText, out var sizeBytes))
                {
                    result.AddError($"--size '{sizeText}' is not a size: bytes, or a whole number with K/KiB, M/MiB or G/GiB (powers of 1024; KB, MB and GB are not taken), e.g. 900MiB.");
                }
                else if (!CliOptions.TryParseSize(result.GetValue(partSize) ?? "8MiB", out var partBytes))
                {
                    result.AddError($"--part-size '{result.GetValue(partSize)}' is not a size: bytes, or a whole number with K/KiB, M/MiB or G/GiB (powers of 1024; KB, MB and GB are not taken), e.g. 16MiB.");
                }
                else if (partBytes is < PresignedMultipartUpload.MinPartSize or > PresignedMultipartUpload.MaxPartSize)
                {
                    result.AddError($"--part-size {partBytes} is not from 100KiB ({PresignedMultipartUpload.MinPartSize}) to 5GiB ({PresignedMultipartUpload.MaxPartSize}).");
                }
                else if (PresignedMultipartUpload.LeastPartSize(sizeBytes) > PresignedMultipartUpload.MaxPartSize)
                {
                    result.AddError($"--size {sizeBytes} is more than {PresignedMultipartUpload.MaxParts} parts of 5GiB, the most one multipart upload holds.");
                }
                else if (PresignedMultipartUpload.PartCount(sizeBytes, partBytes) > PresignedMultipartUpload.MaxParts)
                {
                    result.AddError($"--size {sizeBytes} in parts of {partBytes} bytes are more than {PresignedMultipartUpload.MaxParts} parts; " +
                        $"give --part-size {PresignedMultipartUpload.LeastPartSize(sizeBytes)} or more.");
                }
            }
            else if (result.GetValue(size) is not null || result.GetValue(partSize) is not null)
            {
                result.AddError("--size and --part-size are for --method multipart.");
            }

            if (methodValue is not ("put" or "part") && result.GetValue(contentMd5) is not null)
            {
                result.AddError("--content-md5 is for --method put or part (a request with a body to check); use --header to sign other headers.");
            }

            var needsUploadId = methodValue is "part" or "complete" or "abort";
            if (methodValue != "multipart" && needsUploadId != (result.GetValue(uploadId) is not null))
            {
                result.AddError(needsUploadId
                    ? $"--method {methodValue} needs --upload-id, the id that --method initiate's request returned."
                    : "--upload-id is for --method part, complete, abort or multipart.");
            }

            if ((methodValue == "part") != (result.GetValue(partNumber) is not null))
            {
                result.AddError(methodValue == "part" ? "--method part needs --part-number (1 to 10000)." : "--part-number is for --method part.");
            }
            else if (result.GetValue(partNumber) is { } number && number is < 1 or > MaxPartNumber)
            {
                result.AddError($"--part-number {number} is not from 1 to {MaxPartNumber}.");
            }

            if (result.GetValue(contentMd5) is { } md5 && !IsBase64Md5(md5))
            {
                result.AddError($"--content-md5 '{md5}' is not the base64 of a 16-byte MD5, e.g. 1B2M2Y8AsgTpgAmY7PhCfg==.");
            }

            var headerList = result.GetValue(headers)!;
            foreach (var group in headerList.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                result.AddError($"--header {group.Key} is given {group.Count()} times; give each header once.");
            }

            foreach (var group in result.GetValue(meta)!.GroupBy(m => m.Key, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                result.AddError($"--meta {group.Key} is given {group.Count()} times; give each key once.");
            }

            // OSS refuses other names with 400 InvalidArgument when the URL is used (the local server too).
            foreach (var (name, _) in result.GetValue(meta)!.Where(m => !OssNames.IsValidMetadataName(m.Key)))
            {
                result.AddError($"--meta {name}: a metadata name is letters, digits and '-' (OSS refuses others, such as '_').");
            }

            foreach (var (name, _) in result.GetValue(meta)!)
            {
                var header = name.StartsWith(OssNames.MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name : OssNames.MetadataPrefix + name;
                if (Has(headerList, header))
                {
                    result.AddError($"--meta {name} and --header {header} give the same header; give it once.");
                }
            }

            // Only Content-Type, Content-MD5 and x-oss-* are signed by default; another header given here would be
            // neither signed nor in the printed curl line, so it would be lost without a word.
            foreach (var (name, _) in headerList.Where(h => !CanonicalRequest.IsSignedByDefault(h.Key)
                && !result.GetValue(additional)!.Contains(h.Key, StringComparer.OrdinalIgnoreCase)))
            {
                result.AddError($"--header {name} is not signed unless listed: add --additional-header {name} to sign it (every request must then send it), or leave it out.");
            }

            if ((result.GetValue(contentType) is not null && Has(headerList, "Content-Type"))
                || (result.GetValue(contentMd5) is not null && Has(headerList, "Content-MD5")))
            {
                result.AddError("Give Content-Type and Content-MD5 either with their own option or with --header, not both.");
            }

            foreach (var name in result.GetValue(additional)!)
            {
                if (!name.Equals("host", StringComparison.OrdinalIgnoreCase) && !Has(headerList, name)
                    && !CanonicalRequest.IsSignedByDefault(name))
                {
                    result.AddError($"--additional-header {name} is not given with --header \"{name}: value\"; only headers the request carries are signed.");
                }
            }

            if (result.GetValue(endpoint) is { } endpointText && !TryParseEndpoint(endpointText, out _))
            {
                result.AddError($"--endpoint '{endpointText}' is not a URL with only a scheme, host and port, e.g. https://oss-cn-hangzhou.aliyuncs.com.");
            }
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var credentials = EnvironmentCredentials.Read(context, out var missing);
            if (credentials is null)
            {
                await context.ErrorWriter.WriteLineAsync(missing).ConfigureAwait(false);
                return Program.Failed;
            }

            _ = TryParseEndpoint(parse.GetValue(endpoint), out var endpointUri);
            var headerList = parse.GetValue(headers)!;
            var additionalHeaders = parse.GetValue(additional)!;
            var options = new OssClientOptions
            {
                Region = parse.GetRequiredValue(region),
                Endpoint = endpointUri,
                CredentialsProvider = new StaticCredentialsProvider(credentials.AccessKeyId, credentials.AccessKeySecret, credentials.SecurityToken),
                UsePathStyle = parse.GetValue(pathStyle),
                UseCName = parse.GetValue(cname),
                UseInternalEndpoint = parse.GetValue(@internal),
                UseAccelerateEndpoint = parse.GetValue(accelerate),
                UseDualStackEndpoint = parse.GetValue(dualStack),
                AdditionalHeaders = additionalHeaders,
                TimeProvider = context.TimeProvider,
            };
            var client = new OssClient(options);
            var bucketName = parse.GetRequiredValue(bucket);
            var requestHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in headerList)
            {
                requestHeaders[name] = value;
            }

            if (additionalHeaders.Any(h => h.Equals("host", StringComparison.OrdinalIgnoreCase)) && !requestHeaders.ContainsKey("Host"))
            {
                // Signing host needs its value: the authority the URL will carry, which the endpoint determines.
                requestHeaders["Host"] = client.Endpoint.Style == AddressingStyle.VirtualHosted
                    ? $"{bucketName}.{client.Endpoint.Authority}"
                    : client.Endpoint.Authority;
            }

            var objectKey = parse.GetRequiredValue(key);
            OssObjectRequest request = parse.GetValue(method) switch
            {
                "get" => new GetObjectRequest { Bucket = bucketName, Key = objectKey, Headers = requestHeaders },
                "head" => new HeadObjectRequest { Bucket = bucketName, Key = objectKey, Headers = requestHeaders },
                "initiate" or "multipart" => new InitiateMultipartUploadRequest
                {
                    Bucket = bucketName,
                    Key = objectKey,
                    Headers = requestHeaders,
                    ContentType = parse.GetValue(contentType),
                    Metadata = parse.GetValue(meta)!.ToDictionary(m => m.Key, m => m.Value, StringComparer.OrdinalIgnoreCase),
                },
                "part" => new UploadPartRequest
                {
                    Bucket = bucketName,
                    Key = objectKey,
                    Headers = requestHeaders,
                    UploadId = parse.GetRequiredValue(uploadId)!,
                    PartNumber = parse.GetValue(partNumber)!.Value,
                    ContentMd5 = parse.GetValue(contentMd5),
                },
                "complete" => new CompleteMultipartUploadRequest { Bucket = bucketName, Key = objectKey, Headers = requestHeaders, UploadId = parse.GetRequiredValue(uploadId)! },
                "abort" => new AbortMultipartUploadRequest { Bucket = bucketName, Key = objectKey, Headers = requestHeaders, UploadId = parse.GetRequiredValue(uploadId)! },
                _ => new PutObjectRequest
                {
                    Bucket = bucketName,
                    Key = parse.GetRequiredValue(key),
                    Headers = requestHeaders,
                    ContentType = parse.GetValue(contentType),
                    ContentMd5 = parse.GetValue(contentMd5),
                    Metadata = parse.GetValue(meta)!.ToDictionary(m => m.Key, m => m.Value, StringComparer.OrdinalIgnoreCase),
                },
            };

            var presignOptions = new PresignOptions
            {
                Expires = CliOptions.TryParseDuration(parse.GetValue(expires), out var ttl) ? ttl : null,
                Expiration = CliOptions.TryParseInstant(parse.GetValue(expiration), out var instant) ? instant : null,
            };
            if (parse.GetValue(method) == "multipart")
            {
                return await PresignMultipartAsync(context, client, (InitiateMultipartUploadRequest)request, parse.GetValue(uploadId),
                    CliOptions.TryParseSize(parse.GetValue(size), out var sizeBytes) ? sizeBytes : 0,
                    CliOptions.TryParseSize(parse.GetValue(partSize) ?? "8MiB", out var partBytes) ? partBytes : PresignedMultipartUpload.DefaultPartSize,
                    presignOptions, cancellationToken).ConfigureAwait(false);
            }

            PresignResult result;
            try
            {
                result = await client.PresignAsync(request, presignOptions, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                // The options were checked above; this is what only the signer sees, e.g. an --expiration within the
                // current second, which leaves less than one whole second of validity, metadata of 8 KB or more, or a
                // header value that cannot be sent (a non-ASCII --meta value).
                await context.ErrorWriter.WriteLineAsync($"error: {CliFormat.Message(e)}").ConfigureAwait(false);
                return Program.BadUsage;
            }

            if (parse.GetValue(json))
            {
                await context.OutWriter.WriteLineAsync(ToJson(result)).ConfigureAwait(false);
            }
            else
            {
                await WriteHumanAsync(context, result, objectKey, parse.GetValue(method) ?? "put", parse.GetValue(partNumber)).ConfigureAwait(false);
            }

            return Program.Success;
        });
        return command;
    }

    /// <summary>
    /// <c>--method multipart</c>: initiates the upload (unless its id is given) through a presigned URL, presigns every
    /// part, the completion and the abort, and prints them as the JSON <c>upload</c> takes; a summary goes to stderr.
    /// </summary>
    private static async Task<int> PresignMultipartAsync(
        CliContext context, OssClient client, InitiateMultipartUploadRequest initiate, string? knownUploadId, long size, long partSize,
        PresignOptions options, CancellationToken cancellationToken)
    {
        var uploadId = knownUploadId;
        try
        {
            if (uploadId is null)
            {
                using var http = new HttpClient(context.HttpHandler ?? new SocketsHttpHandler(), disposeHandler: context.HttpHandler is null);
                var presigned = await client.PresignAsync(initiate, new PresignOptions { Expires = TimeSpan.FromMinutes(5) }, cancellationToken).ConfigureAwait(false);
                uploadId = await new PresignedUploader(http).InitiateMultipartUploadAsync(presigned, cancellationToken).ConfigureAwait(false);
            }

            var upload = await client.PresignMultipartUploadAsync(initiate.Bucket, initiate.Key, uploadId, size, partSize, options, cancellationToken).ConfigureAwait(false);
            await context.OutWriter.WriteLineAsync(JsonSerializer.Serialize(upload, CliFormat.Json)).ConfigureAwait(false);
            var last = size - ((upload.Parts.Count - 1) * partSize);
            var parts = upload.Parts.Count == 1
                ? $"1 part of {CliFormat.Bytes(size)}"
                : $"{upload.Parts.Count} parts of {CliFormat.Bytes(partSize)} (the last {CliFormat.Bytes(last)})";
            await context.ErrorWriter.WriteLineAsync(
                $"Multipart upload {uploadId} of {initiate.Bucket}/{initiate.Key}: {parts}, valid until {CliFormat.Instant(upload.Complete.Expiration)}. " +
                "Upload with: oss-presign upload UPLOAD.json FILE (UPLOAD.json: the JSON above, saved).").ConfigureAwait(false);
            return Program.Success;
        }
        catch (ArgumentException e)
        {
            await context.ErrorWriter.WriteLineAsync($"error: {CliFormat.Message(e)}").ConfigureAwait(false);
            return Program.BadUsage;
        }
        catch (OssRequestFailedException e)
        {
            await context.ErrorWriter.WriteLineAsync(
                $"error: InitiateMultipartUpload was refused: HTTP {e.StatusCode} {e.Code ?? "(no OSS error code)"}: {e.Message}").ConfigureAwait(false);
            if (e.Code is "SignatureDoesNotMatch" or "InvalidAccessKeyId")
            {
                // presign signs offline everywhere else, so this is the first time the key meets the server.
                await context.ErrorWriter.WriteLineAsync(
                    "hint: the server does not take OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET as set: check that they are the server's key " +
                    "(and --endpoint and --region the server's).").ConfigureAwait(false);
            }

            return Program.Failed;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            await context.ErrorWriter.WriteLineAsync($"error: InitiateMultipartUpload could not reach the server: {e.Message}").ConfigureAwait(false);
            return Program.Failed;
        }
    }

    private static async Task WriteHumanAsync(CliContext context, PresignResult result, string key, string method, int? partNumber)
    {
        var now = context.TimeProvider.GetUtcNow();
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow(new Text("Method:"), new Text(result.Method));
        grid.AddRow(new Text("Expiration:"), new Text($"{CliFormat.Instant(result.Expiration)} ({CliFormat.TimeLeft(result.Expiration, now)})"));
        grid.AddRow(new Text("Signed headers:"), new Text(result.SignedHeaders.Count == 0
            ? "(none: send no Content-Type, Content-MD5 or x-oss-* header)"
            : string.Join('\n', result.SignedHeaders.Select(h => $"{h.Key}: {h.Value}"))));
        context.Out.Write(grid);

        // The URL and the curl line go out raw, never wrapped to the console width, so they can be copied whole.
        var writer = context.OutWriter;
        await writer.WriteLineAsync("URL:").ConfigureAwait(false);
        await writer.WriteLineAsync(result.Url).ConfigureAwait(false);
        await writer.WriteLineAsync("curl:").ConfigureAwait(false);
        var file = key.TrimEnd('/').Split('/')[^1] is { Length: > 0 } name ? name : "file";

        // With x-oss-complete-all: yes the completion joins every part and must have no body.
        var sendsPartList = method == "complete" && !result.SignedHeaders.Keys.Any(h => h.Equals("x-oss-complete-all", StringComparison.OrdinalIgnoreCase));
        var partFile = $"{file}.part{partNumber.GetValueOrDefault():D5}";
        await writer.WriteLineAsync(method switch
        {
            "complete" when sendsPartList => CliFormat.CurlLine(result.Method, result.Url, result.SignedHeaders, "parts.xml", sendsFile: true),
            "part" => CliFormat.CurlLine(result.Method, result.Url, result.SignedHeaders, partFile),
            _ => CliFormat.CurlLine(result.Method, result.Url, result.SignedHeaders, file),
        }).ConfigureAwait(false);
        if (sendsPartList)
        {
            await writer.WriteLineAsync(
                "parts.xml lists every part in order, with the ETag its upload returned: " +
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"...\"</ETag></Part>...</CompleteMultipartUpload>").ConfigureAwait(false);
        }
        else if (method == "part")
        {
            // curl -T of the whole file would store the whole file as every part, and the completion would not notice.
            await writer.WriteLineAsync(
                $"A part is a piece of the file: cut the file first, e.g. split -b 16M -a 5 --numeric-suffixes=1 {CliFormat.ShellQuote(file)} " +
                $"{CliFormat.ShellQuote(file + ".part")} (every part but the last at least 100 KiB), and send each piece with its own URL; " +
                "or let 'presign --method multipart' and 'upload' do it all.").ConfigureAwait(false);
        }
    }

    private static string ToJson(PresignResult result)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("method", result.Method);
            json.WriteString("url", result.Url);
            json.WriteString("expiration", CliFormat.Instant(result.Expiration));
            json.WriteStartObject("signedHeaders");
            foreach (var (name, value) in result.SignedHeaders)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static bool Has(List<KeyValuePair<string, string>> headers, string name) =>
        headers.Exists(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    private static bool IsBase64Md5(string value)
    {
        Span<byte> bytes = stackalloc byte[24];
        return Convert.TryFromBase64String(value, bytes, out var written) && written == 16;
    }

    private static bool TryParseEndpoint(string? text, out Uri? endpoint)
    {
        endpoint = null;
        if (text is null)
        {
            return true;
        }

        // Like the SDKs: an endpoint without a scheme means https (OSS-V4.md §4).
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            return false;
        }

        endpoint = uri;
        return true;
    }
}
