using OssPresign.Server.Storage;

namespace OssPresign.Server.Console;

/// <summary>
/// What the console needs from the server's start: whether its presign endpoint exists (only on a server bound to
/// loopback, so that the server's keys never sign for someone on the network). Registered only when
/// <see cref="LocalOssServerOptions.EnableConsole"/> is set.
/// </summary>
/// <param name="PresignEnabled">Whether <c>/_console/api/presign</c> is mapped.</param>
internal sealed record ConsoleSettings(bool PresignEnabled);

/// <summary>
/// The browser upload page under <c>/_console/</c>: a path no bucket can take (bucket names start with a letter or a
/// digit), so it never shadows the OSS API. The page is plain HTML, CSS and JavaScript embedded in this assembly;
/// <c>api/status</c> tells it whether <c>api/presign</c>, the same-origin presign endpoint, exists.
/// </summary>
internal static class ConsoleEndpoints
{
    /// <summary>The page's address, relative to the server's endpoint.</summary>
    public const string BasePath = "/_console/";

    /// <summary>
    /// Maps the page, its assets and API when the console is enabled (<see cref="ConsoleSettings"/> registered);
    /// otherwise maps nothing and <c>/_console/</c> stays an (invalid) OSS bucket path.
    /// </summary>
    public static void MapConsoleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var settings = endpoints.ServiceProvider.GetService<ConsoleSettings>();
        if (settings is null)
        {
            return;
        }

        // Every other method and path under /_console/ lands here, not in the OSS pipeline; the API routes below
        // are more specific and win for their own method.
        endpoints.Map("/_console/{**asset}", (HttpContext context, string? asset) => ConsoleAssets.Serve(context, asset));
        endpoints.MapGet("/_console/api/status", (HttpContext context) => ConsolePresign.Status(context, settings));
        if (settings.PresignEnabled)
        {
            // As a Delegate, so that its typed result is written (a RequestDelegate would discard it).
            endpoints.MapPost("/_console/api/presign", (Delegate)ConsolePresign.PresignAsync);
            endpoints.MapPost("/_console/api/presign-multipart", (Delegate)ConsolePresign.PresignMultipartAsync);
        }
    }

    /// <summary>The stored buckets, for the page's bucket list.</summary>
    internal static IReadOnlyList<BucketInfo> ListBuckets(HttpContext context) =>
        context.RequestServices.GetRequiredService<ObjectStore>().ListBuckets(string.Empty, string.Empty);
}
