using System.Globalization;
using System.Security.Cryptography;

namespace OssPresign.Server.Api;

/// <summary>Per-request facts every response needs: the request id, set before anything else runs.</summary>
/// <param name="RequestId">24 upper-case hex characters, like OSS request ids.</param>
internal sealed record OssRequestInfo(string RequestId)
{
    /// <summary>The info of a request (created on first use, so errors raised early still have an id).</summary>
    public static OssRequestInfo Get(HttpContext context)
    {
        var info = context.Features.Get<OssRequestInfo>();
        if (info is null)
        {
            info = new OssRequestInfo(Convert.ToHexString(RandomNumberGenerator.GetBytes(12)));
            context.Features.Set(info);
        }

        return info;
    }

    /// <summary>
    /// Middleware: gives every response <c>x-oss-request-id</c> and a <c>Date</c> from the server's
    /// <see cref="TimeProvider"/> (clients such as the Go SDK correct their clock skew from it).
    /// </summary>
    public static Func<HttpContext, RequestDelegate, Task> Middleware(TimeProvider time) => (context, next) =>
    {
        var info = Get(context);
        context.Response.Headers["x-oss-request-id"] = info.RequestId;
        context.Response.Headers.Date = time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture);
        return next(context);
    };
}
