using System.Globalization;

namespace OssPresign.Benchmarks.Upload;

/// <summary>The tables of docs/benchmarks.md: per test and metric, median (min..max) per server and ours/nginx.</summary>
internal static class Summary
{
    private static readonly (string Test, string Column, string Label)[] Metrics =
    [
        ("large", "throughput", "{large} upload, MB/s"),
        ("large", "cpu_s_per_gib", "{large} upload, server CPU s/GiB"),
        ("large", "peak_rss_mib", "{large} upload, peak RSS MiB"),
        ("small", "throughput", "4 KiB PUTs, requests/s"),
        ("small", "cpu_us_per_request", "4 KiB PUTs, server CPU µs/request"),
        ("small", "cpu_s_per_gib", "4 KiB PUTs, server CPU s/GiB"),
        ("small", "peak_rss_mib", "4 KiB PUTs, peak RSS MiB"),
        ("small", "p50", "4 KiB PUTs, latency p50 ms"),
        ("small", "p90", "4 KiB PUTs, latency p90 ms"),
        ("small", "p99", "4 KiB PUTs, latency p99 ms"),
        ("small", "p99.9", "4 KiB PUTs, latency p99.9 ms"),
    ];

    public static int Write(string resultsPath, TextWriter output)
    {
        var results = Results.Load(resultsPath);
        var servers = results.Servers;
        var large = results.LargeUploadLabel();
        output.WriteLine($"| Metric | {string.Join(" | ", servers)} | {(servers.Count == 2 ? $"{servers[1]} / {servers[0]}" : "ratio")} | runs |");
        output.WriteLine($"|---|{string.Concat(servers.Select(_ => "---:|"))}---:|---:|");
        foreach (var (test, column, label) in Metrics)
        {
            var perServer = servers.Select(s => results.Values(s, test, column)).ToList();
            if (perServer.Any(v => v.Count == 0))
            {
                continue;
            }

            var cells = perServer.Select(v => $"{Format(Results.Median(v))} ({Format(v.Min())}..{Format(v.Max())})");
            var ratio = perServer.Count == 2 ? (Results.Median(perServer[1]) / Results.Median(perServer[0])).ToString("0.00", CultureInfo.InvariantCulture) : "-";
            output.WriteLine($"| {label.Replace("{large}", large, StringComparison.Ordinal)} | {string.Join(" | ", cells)} | {ratio} | {perServer.Min(v => v.Count)} |");
        }

        return 0;
    }

    private static string Format(double value) => value.ToString(value >= 100 ? "0" : value >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);
}
