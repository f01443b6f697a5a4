using System.Collections.Frozen;

namespace OssPresign.Server.Console;

/// <summary>
/// The page's files, embedded in the assembly from <c>Console/Page/</c> (no build step, nothing from a CDN) and
/// served with headers that keep them to themselves: a Content-Security-Policy allowing only this origin's script
/// and style, no framing, no referrer (presigned URLs on the page must not leak through links).
/// </summary>
internal static class ConsoleAssets
{
    private const string ResourcePrefix = "OssPresign.Server.Console.Page.";

    // connect-src allows any http(s) origin: paste mode uploads to a presigned URL wherever it points.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' http: https:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["console.css"] = "text/css; charset=utf-8",
        ["console.js"] = "text/javascript; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, byte[]>> Files = new(Load);

    /// <summary>Serves <c>/_console/{asset}</c>: the page for an empty path, a known file, or 404/405; <c>/_console</c> redirects.</summary>
    public static IResult Serve(HttpContext context, string? asset)
    {
        var method = context.Request.Method;
        if (string.IsNullOrEmpty(asset) && !context.Request.Path.Value!.EndsWith('/'))
        {
            // The page's relative links (console.js, api/presign) need the trailing slash.
            return Results.Redirect(ConsoleEndpoints.BasePath);
        }

        var name = string.IsNullOrEmpty(asset) ? "index.html" : asset;
        if (!Files.Value.TryGetValue(name, out var content))
        {
            return Results.Text($"Nothing at {ConsoleEndpoints.BasePath}{name}. The upload page is {ConsoleEndpoints.BasePath}.", "text/plain", statusCode: StatusCodes.Status404NotFound);
        }

        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return Results.StatusCode(StatusCodes.Status405MethodNotAllowed);
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";

        // Revalidate on every load, so a page left open after an upgrade of the server does not keep old code.
        headers.CacheControl = "no-cache";
        return Results.Bytes(content, ContentTypes[name]);
    }

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in ContentTypes.Keys)
        {
            using var stream = assembly.GetManifestResourceStream(ResourcePrefix + name)
                ?? throw new InvalidOperationException($"The console file {name} is not embedded in {assembly.GetName().Name}.");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files[name] = buffer.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
