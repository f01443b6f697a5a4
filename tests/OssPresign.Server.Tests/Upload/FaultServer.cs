using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OssPresign.Server.Tests.Upload;

/// <summary>
/// A real Kestrel server on 127.0.0.1 that misbehaves as told, for the faults the local OSS server does not produce:
/// each request is answered by <c>respond(context, n)</c>, <c>n</c> counting requests from 1. It records every
/// request with its whole body as read.
/// </summary>
internal sealed class FaultServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Received> _received = [];

    private FaultServer(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The requests so far, in the order they arrived.</summary>
    public IReadOnlyList<Received> Requests
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>
    /// Starts the server. <paramref name="respond"/> gets the request with its body not yet read, and the request's
    /// number; <paramref name="readBody"/> false leaves the body unread (the handler reads it, or not).
    /// </summary>
    public static async Task<FaultServer> StartAsync(Func<HttpContext, int, Task> respond, bool readBody = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var server = new FaultServer(app);
        app.Run(async context =>
        {
            int number;
            byte[] body = [];
            if (readBody)
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                body = buffer.ToArray();
            }

            lock (server._received)
            {
                server._received.Add(new Received(context.Request.Method, context.Request.Path + context.Request.QueryString, body));
                number = server._received.Count;
            }

            await respond(context, number);
        });
        await app.StartAsync();
        var address = app.Urls.Single();
        server.Endpoint = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>A URL on this server with a V4 presigned query valid for <paramref name="validity"/> from <paramref name="signedAt"/> (the uploader reads the expiry from it).</summary>
    public string PresignedUrl(string pathAndQueryPrefix, DateTimeOffset signedAt, TimeSpan validity)
    {
        var query = $"x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=id%2F{signedAt:yyyyMMdd}%2Fcn-hangzhou%2Foss%2Faliyun_v4_request" +
            $"&x-oss-date={signedAt:yyyyMMdd'T'HHmmss'Z'}&x-oss-expires={(long)validity.TotalSeconds}&x-oss-signature={new string('0', 64)}";
        var separator = pathAndQueryPrefix.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return Endpoint.GetLeftPart(UriPartial.Authority) + pathAndQueryPrefix + separator + query;
    }

    public static Task OssError(HttpContext context, int status, string code, string message = "It failed.")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        return context.Response.WriteAsync(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>req-1</RequestId></Error>");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(string Method, string Target, byte[] Body);
}
