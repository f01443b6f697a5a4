using System.CommandLine;
using System.CommandLine.Invocation;
using OssPresign.Cli.Commands;

namespace OssPresign.Cli;

/// <summary>
/// The <c>oss-presign</c> tool. Exit codes: 0 success, 1 a failed operation, 2 bad usage (usage and a one-line error
/// on standard error).
/// </summary>
public static class Program
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Success = 0;

    /// <summary>Exit code of an operation that failed (refused upload, invalid or expired URL, unreachable server).</summary>
    public const int Failed = 1;

    /// <summary>Exit code of bad usage: a missing or invalid option or argument.</summary>
    public const int BadUsage = 2;

    /// <summary>The process entry point.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code.</returns>
    public static Task<int> Main(string[] args) => RunAsync(args, CliContext.ForProcess());

    /// <summary>The command tree: <c>presign</c>, <c>upload</c>, <c>inspect</c> and <c>serve</c>.</summary>
    internal static RootCommand CreateRootCommand(CliContext context) =>
        new("Presign Alibaba Cloud OSS V4 URLs, upload through them, inspect them, and run a local OSS-compatible server.")
        {
            PresignCommand.Create(context),
            UploadCommand.Create(context),
            InspectCommand.Create(context),
            ServeCommand.Create(context),
        };

    /// <summary>Runs one command line against <paramref name="context"/>; tests call this in-process.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="context">Output, input, environment and clock.</param>
    /// <param name="cancellationToken">Cancels the command as Ctrl+C would.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        var root = CreateRootCommand(context);
        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            await WriteUsageErrorAsync(root, parseResult).ConfigureAwait(false);
            return BadUsage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = context.OutWriter,
            Error = context.ErrorWriter,

            // Every command reports its own failures in one line; an unexpected exception must not print a stack trace.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = context.HandleCtrlC ? TimeSpan.FromSeconds(5) : null,
        };
        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await context.ErrorWriter.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return Failed;
        }
#pragma warning disable CA1031 // The last line of defence: any other failure is one line, never a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await context.ErrorWriter.WriteLineAsync($"error: {CliFormat.Message(e)}").ConfigureAwait(false);
            return Failed;
        }

        async Task WriteUsageErrorAsync(RootCommand rootCommand, ParseResult failed)
        {
            // The usage line of the command that failed to parse and where its options are explained (the whole help
            // buried the one line that matters), then the first error on one line, last so it is seen.
            var path = new List<string>();
            for (var result = failed.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
            {
                path.Insert(0, result.Command.Name);
            }

            var help = new StringWriter();
            await rootCommand.Parse([.. path, "--help"]).InvokeAsync(new InvocationConfiguration { Output = help }, cancellationToken).ConfigureAwait(false);
            var lines = help.ToString().Split('\n');
            var usage = lines.SkipWhile(l => !l.StartsWith("Usage:", StringComparison.Ordinal)).TakeWhile(l => l.Trim().Length > 0);
            await context.ErrorWriter.WriteLineAsync(string.Join('\n', usage)).ConfigureAwait(false);
            await context.ErrorWriter.WriteLineAsync(
                $"Run '{string.Join(' ', ["oss-presign", .. path, "--help"])}' for {(path.Count == 0 ? "the commands" : "every option")}.").ConfigureAwait(false);
            // For "oss-presign bogus" the first error is "Required command was not provided."; the one that names the
            // word it did not understand says more.
            var error = failed.Errors.FirstOrDefault(e => failed.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal)))
                ?? failed.Errors[0];
            await context.ErrorWriter.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
        }
    }
}
