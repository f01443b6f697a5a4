using System.Diagnostics;

namespace OssPresign.Reliability.Tests;

/// <summary>Waits (bounded) for what the server finishes after answering: cleanup after a client vanished, or the
/// delete of an overwritten body, which the store does after acknowledging the overwriting PUT.</summary>
internal static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }
}
