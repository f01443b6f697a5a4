using System.Globalization;

namespace OssPresign.Benchmarks.Upload;

/// <summary>results.tsv of run.sh: one row per measured run, columns named by its header line.</summary>
internal sealed class Results
{
    private readonly List<Dictionary<string, string>> _runs;

    private Results(List<Dictionary<string, string>> runs) => _runs = runs;

    /// <summary>The servers in the order of their first run (nginx, then ours).</summary>
    public IReadOnlyList<string> Servers => [.. _runs.Select(r => r["server"]).Distinct()];

    public static Results Load(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split('\t');
        return new Results([.. lines.Skip(1).Where(l => l.Length > 0).Select(l => header.Zip(l.Split('\t')).ToDictionary(p => p.First, p => p.Second))]);
    }

    /// <summary>A column's values for one server and test, skipping '-' (not measured).</summary>
    public List<double> Values(string server, string test, string column) =>
    [
        .. _runs.Where(r => r["server"] == server && r["test"] == test && r.TryGetValue(column, out var v) && v != "-")
            .Select(r => double.Parse(r[column], CultureInfo.InvariantCulture)),
    ];

    /// <summary>The size of the large upload, e.g. "1 GiB" or "64 MiB" (--quick).</summary>
    public string LargeUploadLabel()
    {
        var gib = Values(Servers[0], "large", "gib");
        var mib = gib.Count == 0 ? 0 : Math.Round(gib[0] * 1024);
        return mib >= 1024 && mib % 1024 == 0
            ? $"{(mib / 1024).ToString(CultureInfo.InvariantCulture)} GiB"
            : $"{mib.ToString(CultureInfo.InvariantCulture)} MiB";
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
