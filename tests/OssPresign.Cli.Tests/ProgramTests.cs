namespace OssPresign.Cli.Tests;

public sealed class ProgramTests
{
    [Fact]
    public async Task FailureNoCommandHandles_IsOneLineWithoutTheParameterName_OrAStackTrace_ExitCode1()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Out = CliContext.CreatePlainConsole(output),
            Error = CliContext.CreatePlainConsole(error),

            // Stands for any exception a command does not expect: presign reads its credentials through this in its action.
            GetEnvironmentVariable = _ => throw new ArgumentException("The environment cannot be read.", "variable"),
        };

        var exitCode = await Program.RunAsync(["presign", "--region", "cn-hangzhou", "--bucket", "examplebucket", "--object", "k"], context);

        Assert.Equal(Program.Failed, exitCode);
        Assert.Equal("error: The environment cannot be read.", Assert.Single(error.ToString().TrimEnd().Split('\n')));
        Assert.Empty(output.ToString());
    }
}
