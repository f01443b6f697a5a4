namespace OssPresign.Benchmarks.Upload;

/// <summary>
/// Presigns one PUT URL per key up front, so that every request of the small-PUT run creates a new object and the
/// load generator spends no time signing while it is measured.
/// </summary>
internal static class PresignList
{
    public static async Task<int> WriteAsync(Uri endpoint, string region, string bucket, string prefix, int count, string output)
    {
        var client = new OssClient(new OssClientOptions
        {
            Region = region,
            Endpoint = endpoint,
            UsePathStyle = true,
            CredentialsProvider = new EnvironmentVariableCredentialsProvider(),
        });

        // Long enough for the whole run (several A/B rounds), within the 7-day limit.
        var options = new PresignOptions { Expires = TimeSpan.FromHours(2) };
        var writer = new StreamWriter(output);
        await using (writer.ConfigureAwait(false))
        {
            for (var i = 0; i < count; i++)
            {
                var presigned = await client.PresignAsync(new PutObjectRequest { Bucket = bucket, Key = $"{prefix}{i}" }, options).ConfigureAwait(false);

                // wrk takes the path and query; it sends Host itself (not signed by default, OSS-V4.md §5).
                await writer.WriteLineAsync(new Uri(presigned.Url).PathAndQuery).ConfigureAwait(false);
            }
        }

        return 0;
    }
}
