using ScottPlot;

namespace OssPresign.Benchmarks.Upload;

/// <summary>
/// Draws the PNGs of docs/benchmarks.md from results.tsv (one row per measured run, written by run.sh): a bar per
/// server at the median, with every run as a dot so the spread stays visible.
/// </summary>
internal static class Plots
{
    private static readonly string[] Percentiles = ["p50", "p90", "p99", "p99.9"];

    public static int Write(string resultsPath, string outputDirectory)
    {
        var runs = Results.Load(resultsPath);
        var servers = runs.Servers;
        Directory.CreateDirectory(outputDirectory);

        ThroughputPlot(runs, servers, "large", $"{runs.LargeUploadLabel()} upload (curl -T)", "MB/s", Path.Combine(outputDirectory, "large-throughput.png"));
        ThroughputPlot(runs, servers, "small", "4 KiB PUTs, 64 connections (wrk)", "requests/s", Path.Combine(outputDirectory, "small-throughput.png"));
        LatencyPlot(runs, servers, Path.Combine(outputDirectory, "small-latency.png"));
        return 0;
    }

    private static void ThroughputPlot(Results runs, IReadOnlyList<string> servers, string test, string title, string unit, string path)
    {
        var plot = new Plot();
        for (var s = 0; s < servers.Count; s++)
        {
            var values = runs.Values(servers[s], test, "throughput");
            if (values.Count == 0)
            {
                continue;
            }

            var color = Palette(s);
            plot.Add.Bar(new Bar { Position = s, Value = Results.Median(values), FillColor = color.WithAlpha(0.6) });
            var dots = plot.Add.Markers(values.Select(_ => (double)s).ToArray(), values.ToArray());
            dots.Color = Colors.Black;
            dots.MarkerSize = 6;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, servers.Count).Select(i => (double)i)], [.. servers]);
        plot.Axes.Margins(bottom: 0);
        plot.Title($"{title}: median (bar) and each run (dot)");
        plot.YLabel(unit);
        plot.SavePng(path, 800, 450);
    }

    private static void LatencyPlot(Results runs, IReadOnlyList<string> servers, string path)
    {
        var plot = new Plot();
        var width = 0.8 / servers.Count;
        for (var s = 0; s < servers.Count; s++)
        {
            var color = Palette(s);
            for (var p = 0; p < Percentiles.Length; p++)
            {
                var values = runs.Values(servers[s], "small", Percentiles[p]);
                if (values.Count == 0)
                {
                    continue;
                }

                var x = p + ((s - ((servers.Count - 1) / 2.0)) * width);
                plot.Add.Bar(new Bar { Position = x, Value = Results.Median(values), FillColor = color.WithAlpha(0.6), Size = width * 0.9 });
                var dots = plot.Add.Markers(values.Select(_ => x).ToArray(), values.ToArray());
                dots.Color = Colors.Black;
                dots.MarkerSize = 5;
            }
        }

        plot.Legend.ManualItems.AddRange(servers.Select((name, s) => new LegendItem { LabelText = name, FillColor = Palette(s).WithAlpha(0.6) }));
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, Percentiles.Length).Select(i => (double)i)], Percentiles);
        plot.Axes.Margins(bottom: 0);
        plot.Title("4 KiB PUT latency percentiles (wrk, 64 connections)");
        plot.YLabel("ms");
        plot.SavePng(path, 800, 450);
    }

    private static Color Palette(int index) => new ScottPlot.Palettes.Category10().GetColor(index);
}
