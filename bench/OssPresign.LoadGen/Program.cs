using OssPresign.Benchmarks.Upload;

// bench/upload/run.sh calls this tool; it is not a load generator itself (wrk and curl are, being lighter on the
// two shared cores than a .NET client would be).
//   presign ENDPOINT REGION BUCKET PREFIX COUNT OUT   PUT URLs for PREFIX0..PREFIX{COUNT-1}, one path?query per line
//   summary RESULTS.tsv                               markdown tables: median (min..max) per server and the ratio
//   plot RESULTS.tsv OUTDIR                           throughput and latency PNGs from the runs' results
// Credentials come from OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET, as for the server under test.
return args switch
{
    ["presign", var endpoint, var region, var bucket, var prefix, var count, var output] =>
        await PresignList.WriteAsync(new Uri(endpoint), region, bucket, prefix, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture), output),
    ["summary", var results] => Summary.Write(results, Console.Out),
    ["plot", var results, var outputDirectory] => Plots.Write(results, outputDirectory),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: oss-loadgen presign ENDPOINT REGION BUCKET PREFIX COUNT OUT | summary RESULTS.tsv | plot RESULTS.tsv OUTDIR");
    return 2;
}
