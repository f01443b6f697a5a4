using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using OssPresign.Server;
using Spectre.Console;

namespace OssPresign.Cli.Commands;

/// <summary>
/// <c>serve</c>: runs <see cref="LocalOssServer"/> until Ctrl+C, after printing where it listens, the key to sign with
/// and a presigned PUT made on the spot with a curl line to try it.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The object the banner's example uploads.</summary>
    private const string ExampleKey = "hello.txt";

    public static Command Create(CliContext context)
    {
        var host = new Option<string>("--host") { Description = "The address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The TCP port; 0 picks a free one.", DefaultValueFactory = _ => 9000 };
        port.Validators.Add(result =>
        {
            // From the token, not GetValueOrDefault: that throws for a value that is no int (abc, 1.5, 99999999999).
            if (result.Tokens is [.., { } given] && (!int.TryParse(given.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535))
            {
                result.AddError($"--port '{given.Value}' is not a TCP port (0-65535).");
            }
        });
        var data = new Option<string>("--data") { Description = "The data folder (metadata, objects, development key).", DefaultValueFactory = _ => ".oss-data", HelpName = "dir" };
        var config = new Option<FileInfo>("--config") { Description = "A JSON file of buckets and access keys.", HelpName = "file" };
        config.AcceptExistingOnly();
        var region = new Option<string>("--region") { Description = "The region of the server and its buckets.", DefaultValueFactory = _ => "cn-hangzhou" };
        region.Validators.Add(result =>
        {
            if (result.Tokens is [.., { } given] && CliOptions.RegionProblem(given.Value) is { } problem)
            {
                result.AddError(problem);
            }
        });
        var buckets = new Option<string[]>("--bucket") { Description = "A bucket to create on start (repeatable). Default: examplebucket.", HelpName = "name" };
        buckets.Validators.Add(result =>
        {
            foreach (var name in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!OssNames.IsValidBucketName(name))
                {
                    result.AddError($"--bucket '{name}' is not a bucket name: use 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.");
                }
            }
        });

        // The browser upload page (/_console/, OssPresign.Server/Console): on by default, and only on loopback.
        var noConsole = new Option<bool>("--no-console") { Description = "Do not serve the browser upload page (served by default on loopback)." };

        // A line per request is what a developer watching the server wants; under load (bench/upload) it costs CPU.
        var quiet = new Option<bool>("--quiet") { Description = "Log only warnings and errors, not a line per request." };

        var command = new Command("serve", "Run a local OSS-compatible server that verifies presigned URLs, until Ctrl+C.")
        {
            host, port, data, config, region, buckets, noConsole, quiet,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var bucketNames = parse.GetValue(buckets) is { Length: > 0 } given ? given : ["examplebucket"];
            var options = new LocalOssServerOptions
            {
                Host = parse.GetRequiredValue(host),
                Port = parse.GetValue(port),
                DataDirectory = parse.GetRequiredValue(data),
                ConfigFile = parse.GetValue(config)?.FullName,
                Region = parse.GetRequiredValue(region),
                Buckets = [.. bucketNames],
                TimeProvider = context.TimeProvider,
                ConfigureLogging = context.ServerLogsToConsole ? ConsoleLogging(parse.GetValue(quiet)) : null,
                EnableConsole = !parse.GetValue(noConsole) && IsLoopback(parse.GetRequiredValue(host)),
            };

            LocalOssServer server;
            try
            {
                server = await LocalOssServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                await context.ErrorWriter.WriteLineAsync($"error: the server did not start: {CliFormat.Message(e)}").ConfigureAwait(false);
                return Program.Failed;
            }

            await using (server.ConfigureAwait(false))
            {
                await WriteBannerAsync(context, server, cancellationToken).ConfigureAwait(false);
                context.ServerStarted?.Invoke(server.Endpoint);
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, context.TimeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await context.OutWriter.WriteLineAsync("Stopping.").ConfigureAwait(false);
                }
            }

            return Program.Success;
        });
        return command;
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    /// <summary>The server's log on the console: a line per request, or with <paramref name="quiet"/> only warnings and errors.</summary>
    internal static Action<ILoggingBuilder> ConsoleLogging(bool quiet) => logging => logging
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        })
        .AddFilter("Microsoft", LogLevel.Warning)

        // A failed start (a port in use, say) is the command's own one-line error; the host would also log it, with
        // its stack trace.
        .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical)
        .SetMinimumLevel(quiet ? LogLevel.Warning : LogLevel.Information);

    private static async Task WriteBannerAsync(CliContext context, LocalOssServer server, CancellationToken cancellationToken)
    {
        var credentials = server.Credentials;
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddPlainRow("Endpoint:", server.Endpoint.ToString());
        grid.AddPlainRow("Region:", server.Region);
        grid.AddPlainRow("Buckets:", server.Buckets.Count == 0 ? "(none)" : string.Join(", ", server.Buckets));
        grid.AddPlainRow("Access key id:", credentials.AccessKeyId);
        if (server.ConsoleAddress is { } console)
        {
            grid.AddPlainRow("Upload page:", console.ToString());
        }
        context.Out.MarkupLine("[bold]Local OSS server running[/] (Ctrl+C to stop)");
        context.Out.Write(grid);

        var writer = context.OutWriter;
        if (server.IsDevelopmentKey)
        {
            // The generated development key only opens this loopback server, so showing it is the point; a configured
            // key's secret is never printed.
            await writer.WriteLineAsync("Development key (for this server only):").ConfigureAwait(false);
            await writer.WriteLineAsync($"  export OSS_ACCESS_KEY_ID={CliFormat.ShellQuote(credentials.AccessKeyId)}").ConfigureAwait(false);
            await writer.WriteLineAsync($"  export OSS_ACCESS_KEY_SECRET={CliFormat.ShellQuote(credentials.AccessKeySecret)}").ConfigureAwait(false);
        }

        if (server.Buckets.Count == 0)
        {
            return;
        }

        // A configured key's policy may deny it the upload, or the key may be disabled: the example is signed with a key
        // the server will let through, in the first bucket where there is one, so that the printed curl works.
        var (bucket, signer) = server.Buckets
            .Select(name => (Bucket: name, Credentials: server.FindCredentialsAllowedToPut(name, ExampleKey)))
            .FirstOrDefault(candidate => candidate.Credentials is not null);
        await writer.WriteLineAsync().ConfigureAwait(false);
        if (signer is null)
        {
            var where = server.Buckets.Count == 1 ? $"bucket {server.Buckets[0]}" : "any bucket";
            await writer.WriteLineAsync(
                $"No example upload: no enabled access key may oss:PutObject {ExampleKey} in {where} (see the keys' policies in the config file).").ConfigureAwait(false);
            return;
        }

        var endpoint = server.Endpoint.GetLeftPart(UriPartial.Authority);

        // A bucket keeps the region it was created in, which --region on an older data folder does not change.
        var region = server.GetBucketRegion(bucket) ?? server.Region;
        var example = await server.CreateClient(new StaticCredentialsProvider(signer.AccessKeyId, signer.AccessKeySecret, signer.SecurityToken), region)
            .PresignAsync(new PutObjectRequest { Bucket = bucket, Key = ExampleKey }, new PresignOptions { Expires = TimeSpan.FromHours(1) }, cancellationToken)
            .ConfigureAwait(false);
        var signedWith = signer.AccessKeyId == credentials.AccessKeyId ? string.Empty : $" with access key {signer.AccessKeyId}";
        await writer.WriteLineAsync($"Try it: a presigned PUT of {ExampleKey}{signedWith}, valid for 1 h:").ConfigureAwait(false);
        await writer.WriteLineAsync($"  echo hello > {ExampleKey}").ConfigureAwait(false);
        await writer.WriteLineAsync("  " + CliFormat.CurlLine(example.Method, example.Url, example.SignedHeaders, ExampleKey)).ConfigureAwait(false);
        await writer.WriteLineAsync("Presign your own:").ConfigureAwait(false);
        await writer.WriteLineAsync(
            $"  oss-presign presign --endpoint {endpoint} --region {region} --bucket {bucket} --object {ExampleKey}").ConfigureAwait(false);
    }
}
