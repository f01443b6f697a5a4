namespace OssPresign.Cli.Tests;

/// <summary>
/// Every option of every command that takes a value, given without it or given twice, is a usage error (exit code 2,
/// one line naming the option), never a crash. The cases come from the command tree itself, so a new option is
/// covered as soon as it exists. Each command gets otherwise valid arguments, so that the option under test is the
/// only thing wrong and its check across options (which once read the missing value and threw) runs.
/// </summary>
public sealed class UsageErrorTests : IDisposable
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["OSS_ACCESS_KEY_ID"] = "LTAIusagetests",
        ["OSS_ACCESS_KEY_SECRET"] = "usage-tests-secret-0123456789",
    };

    private readonly string _file = TempFile.Create(16);

    public static TheoryData<string, string> ValuedOptions() => Options(maximumValues: int.MaxValue);

    /// <summary>The options that take one value; the repeatable ones (--header, --meta, serve's --bucket) take many.</summary>
    public static TheoryData<string, string> SingleValuedOptions() => Options(maximumValues: 1);

    [Theory]
    [MemberData(nameof(ValuedOptions))]
    public async Task OptionWithoutItsValue_IsAUsageErrorNamingIt(string command, string option)
    {
        var run = await RunAsync([.. ValidArguments(command, option), option]);

        AssertUsageError(run, option);
    }

    [Theory]
    [MemberData(nameof(SingleValuedOptions))]
    public async Task SingleValuedOptionGivenTwice_IsAUsageErrorNamingIt(string command, string option)
    {
        var run = await RunAsync([.. ValidArguments(command, option), option, "a", option, "b"]);

        AssertUsageError(run, option);
    }

    [Theory]
    [MemberData(nameof(NumericOptions))]
    public async Task NumericOptionWithAValueThatIsNoNumber_IsAUsageErrorNamingIt(string command, string option)
    {
        foreach (var value in new[] { "abc", "1.5", "99999999999999999999" })
        {
            var run = await RunAsync([.. ValidArguments(command, option), option, value]);

            AssertUsageError(run, option);
        }
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("presing")]
    public async Task UnknownCommand_IsAUsageErrorNamingIt(string command)
    {
        var run = await RunAsync([command, "--region", "cn-hangzhou"]);

        AssertUsageError(run, $"Unrecognized command or argument '{command}'.");
    }

    public void Dispose() => File.Delete(_file);

    /// <summary>The options whose value converts to a number, which a word cannot.</summary>
    public static TheoryData<string, string> NumericOptions() =>
        Options(maximumValues: int.MaxValue, o => (Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType) is var type && (type == typeof(int) || type == typeof(long)));

    private static TheoryData<string, string> Options(int maximumValues, Func<System.CommandLine.Option, bool>? where = null)
    {
        var root = Program.CreateRootCommand(new CliContext
        {
            Out = CliContext.CreatePlainConsole(TextWriter.Null),
            Error = CliContext.CreatePlainConsole(TextWriter.Null),
        });
        var cases = new TheoryData<string, string>();
        foreach (var command in root.Subcommands)
        {
            foreach (var option in command.Options.Where(o => o.Arity.MinimumNumberOfValues > 0 && o.Arity.MaximumNumberOfValues <= maximumValues && (where?.Invoke(o) ?? true)))
            {
                cases.Add(command.Name, option.Name);
            }
        }

        Assert.NotEmpty(cases);
        return cases;
    }

    /// <summary>Runs the tool; should a case parse after all, <c>serve</c> would run until stopped, so it is stopped.</summary>
    private static async Task<CliRun> RunAsync(string[] args)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var running = CliHarness.Start(Environment, null, args, cancellationToken: stop.Token);
        return new CliRun(await running.ExitCode, running.Out.ToString(), running.Error.ToString());
    }

    private static void AssertUsageError(CliRun run, string option)
    {
        Assert.Equal(Program.BadUsage, run.ExitCode);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        var last = run.Error.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("error: ", last, StringComparison.Ordinal);
        Assert.Contains(option, last, StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    /// <summary>
    /// Arguments with which <paramref name="command"/> would parse and pass its checks, without
    /// <paramref name="option"/>, which the test then adds.
    /// </summary>
    private string[] ValidArguments(string command, string option)
    {
        string[] arguments = command switch
        {
            "presign" => ["--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k"],
            "upload" => [PresignedUrl, _file],
            "inspect" => [PresignedUrl],
            "serve" => ["--port", "0", "--data", Path.Combine(Path.GetTempPath(), "oss-usage-tests-never-created")],
            _ => throw new ArgumentOutOfRangeException(nameof(command), command, "a command this test does not know: add its valid arguments"),
        };
        // Option-value pairs, and the positional arguments of upload and inspect, which never equal an option name.
        return [command, .. arguments.Chunk(2).Where(pair => pair[0] != option).SelectMany(pair => pair)];
    }

    private const string PresignedUrl =
        "http://127.0.0.1:9/examplebucket/k?x-oss-signature-version=OSS4-HMAC-SHA256"
        + "&x-oss-credential=LTAIusagetests%2F20261129%2Fcn-hangzhou%2Foss%2Faliyun_v4_request"
        + "&x-oss-date=20261129T000000Z&x-oss-expires=900&x-oss-signature=" + "00000000000000000000000000000000" + "00000000000000000000000000000000";
}
