using Spectre.Console;

namespace OssPresign.Cli;

/// <summary>
/// What the commands read and write besides their arguments: the two output streams, standard input, the environment,
/// the clock and the HTTP handler. <see cref="ForProcess"/> wires the real ones; tests pass their own and run the
/// commands in-process.
/// </summary>
public sealed class CliContext
{
    /// <summary>Standard output: results, tables, progress.</summary>
    public required IAnsiConsole Out { get; init; }

    /// <summary>Standard error: usage, errors, hints.</summary>
    public required IAnsiConsole Error { get; init; }

    /// <summary>Standard input (<c>inspect --secret-stdin</c>).</summary>
    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>Reads an environment variable (credentials); null when unset.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The clock: signing time, expiry checks, retry waits, the server's clock under <c>serve</c>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Whether to draw a live progress bar (a terminal) rather than plain progress lines (redirected output).</summary>
    public bool ShowProgressBar { get; init; }

    /// <summary>Whether Ctrl+C cancels the running command (the process); off for in-process callers.</summary>
    public bool HandleCtrlC { get; init; }

    /// <summary>The HTTP handler uploads go through; null for a default <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>Whether <c>serve</c> logs requests to the console; off for in-process callers, whose output stays clean.</summary>
    public bool ServerLogsToConsole { get; init; }

    /// <summary>Called by <c>serve</c> once the server listens, with its endpoint (lets an in-process caller connect).</summary>
    public Action<Uri>? ServerStarted { get; init; }

    internal TextWriter OutWriter => Out.Profile.Out.Writer;

    internal TextWriter ErrorWriter => Error.Profile.Out.Writer;

    /// <summary>The context of the real process: console streams, environment, system clock, Ctrl+C.</summary>
    /// <returns>The context.</returns>
    public static CliContext ForProcess()
    {
        var stdout = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return new CliContext
        {
            Out = stdout,
            Error = stderr,
            In = Console.In,
            ShowProgressBar = !Console.IsOutputRedirected && stdout.Profile.Capabilities.Interactive,
            HandleCtrlC = true,
            ServerLogsToConsole = true,
        };
    }

    /// <summary>A console that writes plain text (no colours, no live rendering) to <paramref name="writer"/>: for tests and scripts.</summary>
    /// <param name="writer">Receives the text.</param>
    /// <returns>The console.</returns>
    public static IAnsiConsole CreatePlainConsole(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
    });
}
