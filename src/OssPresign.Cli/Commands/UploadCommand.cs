using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OssPresign.Signing;
using OssPresign.Upload;
using Spectre.Console;

namespace OssPresign.Cli.Commands;

/// <summary>
/// <c>upload URL FILE</c>: streams a file through a presigned PUT with <see cref="PresignedUploader"/> (or, given the
/// JSON of <c>presign --method multipart</c> instead of a URL, in parts), showing a
/// progress bar on a terminal and plain lines otherwise; on failure it prints the decoded OSS error and, for a
/// signature mismatch, what most likely differs.
/// </summary>
internal static class UploadCommand
{
    public static Command Create(CliContext context)
    {
        var url = CliOptions.Url("The presigned PUT URL (quote it), or the JSON file 'presign --method multipart' printed.", orFile: true);
        var file = new Argument<FileInfo>("file") { Description = "The file to upload." };
        file.AcceptExistingOnly();
        file.Validators.Add(result =>
        {
            // AcceptExistingOnly takes a folder for a file, which then failed to open as "Could not find file". The
            // token, not the value: reading the value of a path that does not exist would throw here.
            if (result.Tokens is [.., { } given] && Directory.Exists(given.Value))
            {
                result.AddError($"'{given.Value}' is a folder; give the file to upload.");
            }
        });
        var headers = CliOptions.Header("A header to send, exactly as signed, e.g. \"x-oss-meta-author: alice\" (repeatable).");
        var contentType = new Option<string?>("--content-type") { Description = "The Content-Type to send; must be the one the URL signed." };
        var command = new Command("upload", "Upload a file through a presigned PUT URL, sending exactly the given headers, or in parts through a presigned multipart upload.")
        {
            url, file, headers, contentType,
        };
        CliOptions.AddCommandValidator(command, result =>
        {
            var list = result.GetValue(headers)!;

            if (result.GetValue(contentType) is not null && list.Exists(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
            {
                result.AddError("Give the Content-Type with --content-type or with --header, not both.");
            }
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var urlText = parse.GetRequiredValue(url).Trim();
            var path = parse.GetRequiredValue(file).FullName;
            if (CliOptions.IsFileNotUrl(urlText))
            {
                if (parse.GetValue(headers)!.Count > 0 || parse.GetValue(contentType) is not null)
                {
                    await context.ErrorWriter.WriteLineAsync(
                        "error: a multipart upload's URLs carry the headers they need; give no --header or --content-type with its JSON file.").ConfigureAwait(false);
                    return Program.BadUsage;
                }

                return await UploadPartsAsync(context, urlText, path, cancellationToken).ConfigureAwait(false);
            }

            var sent = parse.GetValue(headers)!.ToList();
            if (parse.GetValue(contentType) is { } type)
            {
                sent.Add(new("Content-Type", type));
            }

            var parsed = default(PresignedUrl);
            if (LooksLikeV4(urlText) && !PresignedUrl.TryParse(urlText, out parsed, out var parseError))
            {
                await context.ErrorWriter.WriteLineAsync($"error: the URL is not a valid presigned OSS URL: {parseError}").ConfigureAwait(false);
                if (CliFormat.CutShort(urlText) is { } cutShort)
                {
                    await context.ErrorWriter.WriteLineAsync($"hint: {cutShort}").ConfigureAwait(false);
                }

                return Program.Failed;
            }

            var now = context.TimeProvider.GetUtcNow();
            if (parsed is not null && parsed.IsExpiredAt(now))
            {
                await context.ErrorWriter.WriteLineAsync(
                    $"error: the URL {CliFormat.TimeLeft(parsed.ExpiresOn, now)} (it was valid until {CliFormat.Instant(parsed.ExpiresOn)}, " +
                    "by this machine's clock); presign a new one. Nothing was uploaded.").ConfigureAwait(false);
                return Program.Failed;
            }

            var length = new FileInfo(path).Length;
            if (sent.Find(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) is { Key: not null } declared
                && declared.Value.Trim() != length.ToString(CultureInfo.InvariantCulture))
            {
                await context.ErrorWriter.WriteLineAsync(
                    $"error: --header Content-Length: {declared.Value.Trim()}, but {Path.GetFileName(path)} is {length} bytes; leave the header out " +
                    "(the upload sends the file's length) or give the file it was meant for. Nothing was uploaded.").ConfigureAwait(false);
                return Program.BadUsage;
            }

            using var http = CreateHttpClient(context);
            var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = context.TimeProvider });
            var started = context.TimeProvider.GetTimestamp();
            try
            {
                var send = (IProgress<long> progress) => uploader.UploadFileAsync(urlText, sent, path, progress, cancellationToken);
                var result = context.ShowProgressBar
                    ? await UploadWithBarAsync(context, path, length, send).ConfigureAwait(false)
                    : await UploadWithLinesAsync(context, path, length, send).ConfigureAwait(false);
                WriteResult(context, result, parsed is null ? "the URL" : $"{parsed.Bucket}/{parsed.Key}", started, parts: null);
                return Program.Success;
            }
            catch (OssRequestFailedException e)
            {
                await WriteFailureAsync(context, e, parsed, sent).ConfigureAwait(false);
                return Program.Failed;
            }
            catch (HttpRequestException e)
            {
                await context.ErrorWriter.WriteLineAsync($"error: the upload could not reach the server: {e.Message}").ConfigureAwait(false);
                return Program.Failed;
            }
            catch (IOException e)
            {
                await context.ErrorWriter.WriteLineAsync($"error: the upload of {Path.GetFileName(path)} failed: {e.Message}").ConfigureAwait(false);
                return Program.Failed;
            }
            catch (UnauthorizedAccessException e)
            {
                await context.ErrorWriter.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return Program.Failed;
            }
            catch (ArgumentException e)
            {
                await context.ErrorWriter.WriteLineAsync($"error: {CliFormat.Message(e)}").ConfigureAwait(false);
                return Program.BadUsage;
            }
        });
        return command;
    }

    /// <summary>
    /// <c>upload UPLOAD.json FILE</c>: the file in parts through the presigned multipart upload that
    /// <c>presign --method multipart</c> printed, then the completion.
    /// </summary>
    private static async Task<int> UploadPartsAsync(CliContext context, string uploadFile, string path, CancellationToken cancellationToken)
    {
        PresignedMultipartUpload? upload;
        try
        {
            upload = JsonSerializer.Deserialize<PresignedMultipartUpload>(await File.ReadAllTextAsync(uploadFile, cancellationToken).ConfigureAwait(false), CliFormat.Json);
        }
        catch (JsonException e)
        {
            await context.ErrorWriter.WriteLineAsync($"error: {uploadFile} is not the JSON of 'presign --method multipart': {e.Message}").ConfigureAwait(false);
            return Program.BadUsage;
        }

        if (upload?.Parts is null || upload.Complete is null || upload.Abort is null)
        {
            await context.ErrorWriter.WriteLineAsync($"error: {uploadFile} is not the JSON of 'presign --method multipart': it lacks parts, complete or abort.")
                .ConfigureAwait(false);
            return Program.BadUsage;
        }

        var now = context.TimeProvider.GetUtcNow();
        if (upload.Complete.Expiration <= now)
        {
            await context.ErrorWriter.WriteLineAsync(
                $"error: the multipart upload's URLs {CliFormat.TimeLeft(upload.Complete.Expiration, now)} (valid until " +
                $"{CliFormat.Instant(upload.Complete.Expiration)}); presign them again with --upload-id {upload.UploadId}. Nothing was uploaded.")
                .ConfigureAwait(false);
            return Program.Failed;
        }

        var length = new FileInfo(path).Length;
        if (length != upload.ObjectSize)
        {
            await context.ErrorWriter.WriteLineAsync(
                $"error: {Path.GetFileName(path)} is {length} bytes, but {Path.GetFileName(uploadFile)} was presigned for {upload.ObjectSize} bytes: " +
                $"give the file it was made for, or presign again with --method multipart --size {length}. Nothing was uploaded.").ConfigureAwait(false);
            return Program.BadUsage;
        }

        using var http = CreateHttpClient(context);
        var uploader = new PresignedUploader(http, new PresignedUploaderOptions { TimeProvider = context.TimeProvider });
        var started = context.TimeProvider.GetTimestamp();
        var leftBehind =
            $"The parts sent stay on the server until the upload is completed or aborted: run the same command again to send them " +
            $"again and complete, or abort with: curl -X DELETE '{upload.Abort.Url}'";
        try
        {
            var send = (IProgress<long> progress) => uploader.UploadPartsAsync(upload, path, progress, cancellationToken);
            var result = context.ShowProgressBar
                ? await UploadWithBarAsync(context, path, upload.ObjectSize, send).ConfigureAwait(false)
                : await UploadWithLinesAsync(context, path, upload.ObjectSize, send).ConfigureAwait(false);
            WriteResult(context, result, $"{upload.Bucket}/{upload.Key}", started, upload.Parts.Count);
            return Program.Success;
        }
        catch (OssRequestFailedException e)
        {
            var writer = context.ErrorWriter;
            var what = e.PartNumber is { } refusedPart ? $"part {refusedPart} of {upload.Parts.Count}" : "the completion";
            await writer.WriteLineAsync($"error: the upload was refused at {what}: HTTP {e.StatusCode} {e.Code ?? "(no OSS error code)"}").ConfigureAwait(false);
            await writer.WriteLineAsync($"  Message:    {e.Message}").ConfigureAwait(false);
            if (e.RequestId is not null)
            {
                await writer.WriteLineAsync($"  RequestId:  {e.RequestId}").ConfigureAwait(false);
            }

            // What to do differs by cause: running the same command again helps only when the upload is still there.
            await writer.WriteLineAsync(e.Code switch
            {
                "NoSuchUpload" => $"hint: the upload {upload.UploadId} was completed or aborted already; to upload again, presign a new one with --method multipart.",
                "SignatureDoesNotMatch" => "hint: a URL of the upload was changed after it was signed, or signed for another secret or endpoint; presign the upload again.",
                "AccessDenied" when e.Message.Contains("expired", StringComparison.OrdinalIgnoreCase) =>
                    $"hint: the upload's URLs have expired; presign them again with --method multipart --upload-id {upload.UploadId} --size {upload.ObjectSize} " +
                    $"--part-size {upload.PartSize} (the parts sent stay) and run this command with the new JSON.",
                "AccessDenied" => "hint: the key that signed the upload may not write this object (its policy); " + leftBehind,
                _ => "hint: " + leftBehind,
            }).ConfigureAwait(false);
            return Program.Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.ErrorWriter.WriteLineAsync("Cancelled. " + leftBehind).ConfigureAwait(false);
            return Program.Failed;
        }
        catch (HttpRequestException e)
        {
            await context.ErrorWriter.WriteLineAsync($"error: the upload could not reach the server: {e.Message}").ConfigureAwait(false);
            return Program.Failed;
        }
        catch (IOException e)
        {
            await context.ErrorWriter.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return Program.Failed;
        }
        catch (ArgumentException e)
        {
            await context.ErrorWriter.WriteLineAsync($"error: {CliFormat.Message(e)}").ConfigureAwait(false);
            return Program.BadUsage;
        }
    }

    private static HttpClient CreateHttpClient(CliContext context) =>
        new(context.HttpHandler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: context.HttpHandler is null)
        {
            // Large files take long; Ctrl+C (the token) is the way to stop, not a fixed timeout. Redirects are not
            // followed: a 301, 302 or 303 would turn the PUT into a GET, and a presigned URL cannot move anyway.
            Timeout = Timeout.InfiniteTimeSpan,
        };

    private static void WriteResult(CliContext context, PresignedUploadResult result, string target, long started, int? parts)
    {
        var elapsed = context.TimeProvider.GetElapsedTime(started);
        context.Out.WriteLine($"Uploaded {CliFormat.Bytes(result.BytesSent)} ({result.BytesSent} bytes) to {target} in {elapsed.TotalSeconds:0.0} s.");
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddPlainRow("ETag:", result.ETag ?? "(none)");
        grid.AddPlainRow("Request id:", result.RequestId ?? "(none)");
        if (result.HashCrc64Ecma is not null)
        {
            grid.AddPlainRow("CRC-64:", result.HashCrc64Ecma);
        }

        if (parts is not null)
        {
            grid.AddPlainRow("Parts:", parts.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (result.Attempts > 1)
        {
            grid.AddPlainRow("Attempts:", result.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        context.Out.Write(grid);
    }

    private static bool LooksLikeV4(string url) =>
        url.Contains(PresignedQuery.SignatureVersionParameter, StringComparison.OrdinalIgnoreCase)
        || url.Contains(PresignedQuery.CredentialParameter, StringComparison.OrdinalIgnoreCase);

    private static async Task<PresignedUploadResult> UploadWithBarAsync(
        CliContext context, string path, long length, Func<IProgress<long>, Task<PresignedUploadResult>> send)
    {
        var progress = new Progress(context.Out, context.TimeProvider)
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn());
        return await progress.StartAsync(async bar =>
        {
            var task = bar.AddTask(Markup.Escape(Path.GetFileName(path)), maxValue: Math.Max(length, 1));
            var result = await send(new Reporter(sentBytes => task.Value = sentBytes)).ConfigureAwait(false);
            task.Value = task.MaxValue;
            return result;
        }).ConfigureAwait(false);
    }

    private static Task<PresignedUploadResult> UploadWithLinesAsync(
        CliContext context, string path, long length, Func<IProgress<long>, Task<PresignedUploadResult>> send)
    {
        // A line at each tenth, and one when a retry starts over: readable in a log, not one line per buffer.
        var name = Path.GetFileName(path);
        var writer = context.OutWriter;
        var lastTenth = -1;
        long lastSent = 0;
        writer.WriteLine($"Uploading {name} ({CliFormat.Bytes(length)})");
        return send(new Reporter(sent =>
        {
            if (sent < lastSent)
            {
                writer.WriteLine("Retrying the upload from the start.");
                lastTenth = -1;
            }

            lastSent = sent;
            var tenth = length == 0 ? 10 : (int)(sent * 10 / length);
            if (tenth > lastTenth && (tenth > 0 || sent == length))
            {
                lastTenth = tenth;
                writer.WriteLine($"  {CliFormat.Bytes(sent)} of {CliFormat.Bytes(length)} ({tenth * 10}%)");
            }
        }));
    }

    private static async Task WriteFailureAsync(CliContext context, OssRequestFailedException error, PresignedUrl? url, List<KeyValuePair<string, string>> sent)
    {
        var writer = context.ErrorWriter;
        await writer.WriteLineAsync($"error: the upload was refused: HTTP {error.StatusCode} {error.Code ?? "(no OSS error code)"}").ConfigureAwait(false);
        await writer.WriteLineAsync($"  Message:    {error.Message}").ConfigureAwait(false);
        if (error.RequestId is not null)
        {
            await writer.WriteLineAsync($"  RequestId:  {error.RequestId}").ConfigureAwait(false);
        }

        if (error.Ec is not null)
        {
            await writer.WriteLineAsync($"  EC:         {error.Ec}").ConfigureAwait(false);
        }

        foreach (var hint in UploadHints.For(error, url, sent, EnvironmentCredentials.Secret(context)))
        {
            await writer.WriteLineAsync($"hint: {hint}").ConfigureAwait(false);
        }

        if (error.CanonicalRequest is not null)
        {
            await writer.WriteLineAsync("The server's canonical request:").ConfigureAwait(false);
            await writer.WriteLineAsync(CliFormat.HideSecurityToken(error.CanonicalRequest)).ConfigureAwait(false);
        }
    }

    /// <summary>Reports synchronously, in order: <see cref="Progress{T}"/> would post to the thread pool and reorder.</summary>
    private sealed class Reporter(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
