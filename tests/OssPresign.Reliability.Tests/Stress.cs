namespace OssPresign.Reliability.Tests;

/// <summary>
/// Short or long form. The short form runs in every <c>dotnet test</c> (CI, on two shared cores) and stays small;
/// <c>OSS_STRESS=long</c> selects the long form (docs/reliability.md lists both).
/// </summary>
internal static class Stress
{
    public const string Variable = "OSS_STRESS";

    public static bool IsLong { get; } = string.Equals(Environment.GetEnvironmentVariable(Variable), "long", StringComparison.OrdinalIgnoreCase);

    /// <summary>The short-form value, or the long-form one under <c>OSS_STRESS=long</c>.</summary>
    public static T Pick<T>(T shortForm, T longForm) => IsLong ? longForm : shortForm;

    /// <summary>A seed for this run, printed by the tests so that a failure can be replayed with <c>OSS_STRESS_SEED</c>.</summary>
    public static int Seed { get; } = int.TryParse(Environment.GetEnvironmentVariable("OSS_STRESS_SEED"), out var seed) ? seed : Random.Shared.Next();
}
