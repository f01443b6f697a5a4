using OssPresign.Server.Storage;

namespace OssPresign.Server.Api;

/// <summary>
/// Per-bucket CORS as OSS does it: the preflight OPTIONS is answered from the bucket's rules without
/// authentication, and the CORS headers go on every response to a matching origin, errors included, so a browser
/// can read an error's code and request id.
/// </summary>
internal static class Cors
{
    /// <summary>The code OSS answers a refused preflight with.</summary>
    public const string AccessForbidden = "AccessForbidden";

    /// <summary>Adds the CORS headers of the first rule that allows the request's origin and method, if any.</summary>
    public static void ApplyToResponse(HttpContext context, BucketInfo bucket)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (bucket.CorsRules.Count == 0)
        {
            return;
        }

        // The answer depends on Origin, so shared caches must key on it even when this origin is refused.
        context.Response.Headers.Vary = "Origin";
        if (origin.Length == 0)
        {
            return;
        }

        var rule = bucket.CorsRules.FirstOrDefault(r => AllowsOrigin(r, origin) && r.AllowedMethod.Contains(context.Request.Method, StringComparer.Ordinal));
        if (rule is not null)
        {
            WriteCommonHeaders(context.Response, rule, origin);
        }
    }

    /// <summary>Answers a preflight OPTIONS from the bucket's rules.</summary>
    /// <returns>Null when answered with 200; otherwise the error to send.</returns>
    public static OssError? AnswerPreflight(HttpContext context, BucketInfo bucket)
    {
        var request = context.Request;
        var origin = request.Headers.Origin.ToString();
        var method = request.Headers.AccessControlRequestMethod.ToString();
        if (origin.Length == 0 || method.Length == 0)
        {
            return Forbidden(origin.Length == 0 ? "Missing Origin header." : "Missing Access-Control-Request-Method header.");
        }

        var requestedHeaders = request.Headers.AccessControlRequestHeaders.ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rule = bucket.CorsRules.FirstOrDefault(r =>
            AllowsOrigin(r, origin)
            && r.AllowedMethod.Contains(method, StringComparer.Ordinal)
            && requestedHeaders.All(h => OssNames.IsValidHeaderValue(h) && r.AllowedHeader.Any(p => WildcardMatch(p, h, ignoreCase: true))));
        if (rule is null)
        {
            return Forbidden(
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / " +
                "Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.");
        }

        var response = context.Response;
        WriteCommonHeaders(response, rule, origin);
        if (requestedHeaders.Length > 0)
        {
            response.Headers.AccessControlAllowHeaders = string.Join(", ", requestedHeaders);
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentLength = 0;
        return null;
    }

    private static void WriteCommonHeaders(HttpResponse response, CorsRule rule, string origin)
    {
        response.Headers.AccessControlAllowOrigin = rule.AllowedOrigin.Contains("*") ? "*" : origin;
        response.Headers.AccessControlAllowMethods = string.Join(", ", rule.AllowedMethod);
        if (rule.ExposeHeader.Count > 0)
        {
            response.Headers.AccessControlExposeHeaders = string.Join(", ", rule.ExposeHeader);
        }

        if (rule.MaxAgeSeconds is { } maxAge)
        {
            response.Headers.AccessControlMaxAge = maxAge.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    // An origin, like a requested header, may be echoed: one a header cannot carry (a serialized origin is ASCII) is
    // allowed by no rule, rather than a 500 when it is sent back (OssNames.IsValidHeaderValue).
    private static bool AllowsOrigin(CorsRule rule, string origin) =>
        OssNames.IsValidHeaderValue(origin) && rule.AllowedOrigin.Any(p => WildcardMatch(p, origin, ignoreCase: false));

    private static OssError Forbidden(string message) => new(403, AccessForbidden, message, ServerEc.CorsForbidden);

    /// <summary>OSS CORS patterns hold at most one <c>*</c>, matching any run of characters.</summary>
    internal static bool WildcardMatch(string pattern, string value, bool ignoreCase)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(pattern, value, comparison);
        }

        var head = pattern[..star];
        var tail = pattern[(star + 1)..];
        return value.Length >= head.Length + tail.Length
            && value.StartsWith(head, comparison)
            && value.EndsWith(tail, comparison);
    }
}
