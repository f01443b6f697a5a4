using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace OssPresign;

/// <summary>
/// OSS (or the local server) refused a request. The one exception type for service errors: the OSS error fields are
/// properties, and <see cref="Exception.Message"/> is the service's <c>Message</c> (OSS-V4.md §5.1).
/// </summary>
public sealed class OssRequestFailedException : Exception
{
    /// <summary>The longest error body read; OSS error documents are a few hundred bytes.</summary>
    internal const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>Creates an exception without OSS error fields.</summary>
    public OssRequestFailedException()
        : this("The OSS request failed.")
    {
    }

    /// <summary>Creates an exception with a message and no OSS error fields.</summary>
    /// <param name="message">What failed.</param>
    public OssRequestFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the failure that caused it.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public OssRequestFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an OSS error response.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="code">The OSS <c>Code</c>, e.g. <c>SignatureDoesNotMatch</c>, or null when the response had none.</param>
    /// <param name="message">The OSS <c>Message</c>, or a description of the response when it had none.</param>
    public OssRequestFailedException(int statusCode, string? code, string message)
        : base(message)
    {
        StatusCode = statusCode;
        Code = code;
    }

    /// <summary>The HTTP status, e.g. 403; 0 when no response was received.</summary>
    public int StatusCode { get; init; }

    /// <summary>The OSS error code (<c>Code</c>), one of <see cref="Signing.OssErrorCodes"/>; null when the response had no OSS error.</summary>
    public string? Code { get; init; }

    /// <summary>The request id (<c>RequestId</c>, or the <c>x-oss-request-id</c> header).</summary>
    public string? RequestId { get; init; }

    /// <summary>The host that answered (<c>HostId</c>).</summary>
    public string? HostId { get; init; }

    /// <summary>The OSS EC id (<c>EC</c>, or the <c>x-oss-ec</c> header), e.g. <c>0002-00000201</c>.</summary>
    public string? Ec { get; init; }

    /// <summary>The documentation link for the EC (<c>RecommendDoc</c>), when given.</summary>
    public string? RecommendDoc { get; init; }

    /// <summary>The string to sign the service computed (<c>StringToSign</c>), on signature mismatches.</summary>
    public string? StringToSign { get; init; }

    /// <summary>The canonical request the service computed (<c>CanonicalRequest</c>), on V4 signature mismatches.</summary>
    /// <remarks>
    /// It can hold the STS token: a request signed with one carries <c>x-oss-security-token</c>, in the canonical query
    /// for a presigned URL (as the URL itself does) or in the canonical headers for an Authorization header. Treat it as
    /// a secret while the token is valid: do not log it where the URL would not be. <see cref="ToString"/> leaves it out.
    /// </remarks>
    public string? CanonicalRequest { get; init; }

    /// <summary>The signature the request carried, as the service read it (<c>SignatureProvided</c>).</summary>
    public string? SignatureProvided { get; init; }

    /// <summary>
    /// The part of a multipart upload whose upload was refused (<see cref="Upload.PresignedUploader.UploadPartsAsync"/>);
    /// null for any other request, the completion included.
    /// </summary>
    public int? PartNumber { get; internal set; }

    /// <summary>
    /// Builds the exception from an OSS error response: the XML body, or for bodiless (HEAD) responses the base64 XML
    /// of the <c>x-oss-err</c> header; the <c>x-oss-request-id</c> and <c>x-oss-ec</c> headers fill what the body lacks.
    /// </summary>
    /// <param name="response">The failed response; its content is read (up to 64 KiB), not disposed.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <returns>The exception to throw.</returns>
    public static async Task<OssRequestFailedException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await ReadBoundedAsync(response.Content, cancellationToken).ConfigureAwait(false);
        return Parse(
            (int)response.StatusCode,
            body,
            FirstHeader(response, "x-oss-request-id"),
            FirstHeader(response, "x-oss-ec"),
            FirstHeader(response, "x-oss-err"));
    }

    /// <summary>
    /// Builds the exception from the parts of an OSS error response. An unparsable body is not an error: the
    /// exception then says what the status was and carries the header values.
    /// </summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="body">The response body, or null/empty.</param>
    /// <param name="requestIdHeader">The <c>x-oss-request-id</c> header, or null.</param>
    /// <param name="ecHeader">The <c>x-oss-ec</c> header, or null.</param>
    /// <param name="errHeader">The <c>x-oss-err</c> header (base64 XML, sent on HEAD), or null.</param>
    /// <returns>The exception.</returns>
    public static OssRequestFailedException Parse(int statusCode, string? body, string? requestIdHeader = null, string? ecHeader = null, string? errHeader = null)
    {
        var error = TryParseXml(body) ?? TryParseXml(DecodeBase64(errHeader));
        if (error is null)
        {
            var reason = string.IsNullOrWhiteSpace(body) ? "no OSS error body" : "a body that is not an OSS error";
            return new OssRequestFailedException(statusCode, null, $"HTTP {statusCode} with {reason}.")
            {
                RequestId = requestIdHeader,
                Ec = ecHeader,
            };
        }

        string? Field(string name) => error.Element(name)?.Value is { Length: > 0 } value ? value : null;
        return new OssRequestFailedException(statusCode, Field("Code"), Field("Message") ?? $"HTTP {statusCode}.")
        {
            RequestId = Field("RequestId") ?? requestIdHeader,
            HostId = Field("HostId"),
            Ec = Field("EC") ?? ecHeader,
            RecommendDoc = Field("RecommendDoc"),
            StringToSign = Field("StringToSign"),
            CanonicalRequest = Field("CanonicalRequest"),
            SignatureProvided = Field("SignatureProvided"),
        };
    }

    /// <summary>Status, code, message, request id and EC on one line, then the exception details.</summary>
    /// <returns>A description safe to log: OSS error bodies carry no secrets.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{nameof(OssRequestFailedException)}: {StatusCode} {Code ?? "(no code)"}: {Message}");
        if (RequestId is not null)
        {
            builder.Append(CultureInfo.InvariantCulture, $" RequestId={RequestId}");
        }

        if (Ec is not null)
        {
            builder.Append(CultureInfo.InvariantCulture, $" EC={Ec}");
        }

        if (StackTrace is { } trace)
        {
            builder.AppendLine().Append(trace);
        }

        return builder.ToString();
    }

    private static XElement? TryParseXml(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || !text.AsSpan().TrimStart().StartsWith("<"))
        {
            return null;
        }

        // No DTDs and no external resolution: the body comes from the network.
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), settings);
            var root = XDocument.Load(reader).Root;
            return root?.Name.LocalName == "Error" ? root : null;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static string? DecodeBase64(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var bytes = new byte[value.Length];
        return Convert.TryFromBase64String(value.Trim(), bytes, out var written) ? Encoding.UTF8.GetString(bytes, 0, written) : null;
    }

    private static string? FirstHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static async Task<string?> ReadBoundedAsync(HttpContent? content, CancellationToken cancellationToken)
    {
        if (content is null)
        {
            return null;
        }

        // Bounded, so that a misbehaving endpoint cannot make the client buffer a huge error body.
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxErrorBodyBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, length);
        }
    }
}
