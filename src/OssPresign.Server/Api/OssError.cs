using System.Globalization;
using System.Text;
using System.Xml;
using OssPresign.Signing;

namespace OssPresign.Server.Api;

/// <summary>
/// A refused request as OSS reports it (OSS-V4.md §5): status, <c>Code</c>, <c>Message</c>, <c>EC</c> and extra
/// elements (e.g. <c>StringToSign</c>). A value: the handlers return it, they never throw to pick a status.
/// </summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Code">The OSS error code (<see cref="OssErrorCodes"/>).</param>
/// <param name="Message">What was wrong, in words a user can act on.</param>
/// <param name="Ec">The EC id (<see cref="ServerEc"/>).</param>
internal sealed record OssError(int StatusCode, string Code, string Message, string Ec) : IResult
{
    /// <summary>Extra elements written after <c>HostId</c>, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];

    /// <summary>The error of an auth failure the library reported.</summary>
    public static OssError From(OssAuthFailure failure) => new(failure.StatusCode, failure.Code, failure.Message, failure.Ec);

    public static OssError AccessDenied(string message, string ec) => new(403, OssErrorCodes.AccessDenied, message, ec);

    public static OssError InvalidArgument(string message, string ec, string? argumentName = null, string? argumentValue = null) =>
        new(400, OssErrorCodes.InvalidArgument, message, ec)
        {
            Details = argumentName is null ? [] : [new("ArgumentName", argumentName), new("ArgumentValue", argumentValue ?? string.Empty)],
        };

    public static OssError NoSuchBucket(string bucket) =>
        new(404, OssErrorCodes.NoSuchBucket, "The specified bucket does not exist.", ServerEc.NoSuchBucket) { Details = [new("BucketName", bucket)] };

    public static OssError NoSuchKey(string key) =>
        new(404, OssErrorCodes.NoSuchKey, "The specified key does not exist.", ServerEc.NoSuchKey) { Details = [new("Key", key)] };

    public static OssError NotImplemented(string what) =>
        new(501, OssErrorCodes.NotImplemented, $"{what} is not implemented by the local OSS server.", ServerEc.NotImplemented);

    public static OssError MethodNotAllowed(string method, string resourceType) =>
        new(405, OssErrorCodes.MethodNotAllowed, "The specified method is not allowed against this resource.", ServerEc.MethodNotAllowed)
        {
            Details = [new("Method", method), new("ResourceType", resourceType)],
        };

    /// <inheritdoc />
    Task IResult.ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext);

    /// <summary>Writes the error: XML body, or for HEAD (no body) the base64 XML in <c>x-oss-err</c>.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        var requestId = OssRequestInfo.Get(context).RequestId;
        var xml = ToXml(requestId, context.Request.Host.Value ?? string.Empty);
        response.StatusCode = StatusCode;
        response.Headers["x-oss-ec"] = Ec;
        response.ContentType = "application/xml";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.Headers["x-oss-err"] = Convert.ToBase64String(xml);
            response.ContentLength = 0;
            return;
        }

        response.ContentLength = xml.Length;
        await response.Body.WriteAsync(xml, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The UTF-8 XML of the error.</summary>
    public byte[] ToXml(string requestId, string hostId)
    {
        using var buffer = new MemoryStream();
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(false),
            Indent = true,

            // Keep the LFs of StringToSign and CanonicalRequest as they are, so a user can diff them byte for byte.
            NewLineHandling = NewLineHandling.None,
        };
        using (var writer = XmlWriter.Create(buffer, settings))
        {
            XmlResult.WriteDeclaration(writer);
            writer.WriteStartElement("Error");
            writer.WriteElementString("Code", Code);
            writer.WriteElementString("Message", XmlSafe(Message));
            writer.WriteElementString("RequestId", requestId);
            writer.WriteElementString("HostId", XmlSafe(hostId));
            foreach (var (name, value) in Details)
            {
                writer.WriteElementString(name, XmlSafe(value));
            }

            writer.WriteElementString("EC", Ec);
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Replaces characters XML 1.0 cannot carry (a key may hold U+0001) with U+FFFD: an error must always be
    /// writable, and a lossy echo of a key is better than no error at all.
    /// </summary>
    internal static string XmlSafe(string value)
    {
        if (!value.Any(c => !XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c)))
        {
            return value;
        }

        return string.Create(value.Length, value, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = XmlConvert.IsXmlChar(source[i]) || char.IsSurrogate(source[i]) ? source[i] : '\uFFFD';
            }
        });
    }

    /// <summary>An instant in the format OSS error bodies use, e.g. <c>2017-02-07T01:30:29.000Z</c>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// The EC ids the server reports. The <c>0002-*</c> and <c>0011-*</c> ones are from the official error-code pages
/// (OSS-V4.md §5.2, and the pages named after them);
/// <c>LOCAL-*</c> ones mark failures whose real EC was not confirmed, so nobody mistakes them for OSS's.
/// </summary>
internal static class ServerEc
{
    public const string SignatureDoesNotMatch = "0002-00000201";

    /// <summary>
    /// A V4 presigned URL used after x-oss-date + x-oss-expires (help page 0002-00000236), and one used more than 15
    /// minutes before its x-oss-date (0002-00000235). 0002-00000069 is the V1/V2 page (Expires, or an x-oss-expires
    /// that is a timestamp), not this one.
    /// </summary>
    public const string PresignedUrlExpired = "0002-00000236";
    public const string PresignedUrlNotYetValid = "0002-00000235";

    /// <summary>An Authorization-header request whose time is over 15 minutes off (help page 0002-00000504).</summary>
    public const string RequestTimeTooSkewed = "0002-00000504";
    public const string CredentialRegionInvalid = "0002-00000226";
    public const string SigningRegionNotBucketRegion = "0002-00000228";
    public const string AuthorizationCredentialMalformed = "0002-00000213";
    public const string AuthorizationCredentialDate = "0002-00000212";
    public const string PresignCredentialMalformed = "0002-00000224";
    public const string PresignCredentialDate = "0002-00000223";
    public const string DateFormat = "0002-00000502";

    /// <summary>An STS access key id that does not match its token (help page 0002-00000002).</summary>
    public const string SecurityTokenMismatch = "0002-00000002";

    /// <summary>User metadata refused by name and by size (their help pages).</summary>
    public const string UserMetadataName = "0011-00000004";
    public const string UserMetadataTooLarge = "0011-00000002";

    /// <summary>A user metadata value holding a character OSS does not support (help page 0011-00000005).</summary>
    public const string UserMetadataValue = "0011-00000005";

    /// <summary>NoSuchKey and NoSuchBucket: the EC ids real OSS responses carry.</summary>
    public const string NoSuchKey = "0026-00000001";
    public const string NoSuchBucket = "0015-00000101";

    public const string InvalidAccessKeyId = "LOCAL-0001";
    public const string AdditionalHeaderMissing = "LOCAL-0004";
    public const string AnonymousDenied = "LOCAL-0005";
    public const string PolicyDenied = "LOCAL-0006";
    public const string UnsupportedSignature = "LOCAL-0007";
    public const string PayloadHash = "LOCAL-0008";
    public const string ProductInvalid = "LOCAL-0009";
    public const string ScopeDateMismatch = "LOCAL-0010";
    public const string InvalidUri = "LOCAL-0011";
    public const string InvalidObjectName = "LOCAL-0012";
    public const string InvalidBucketName = "LOCAL-0013";
    public const string BadDigest = "LOCAL-0014";
    public const string InvalidDigest = "LOCAL-0015";
    public const string FileAlreadyExists = "LOCAL-0016";
    public const string EntityTooLarge = "LOCAL-0017";
    public const string BucketAlreadyExists = "LOCAL-0018";
    public const string BucketNotEmpty = "LOCAL-0019";
    public const string PreconditionFailed = "LOCAL-0020";
    public const string InvalidRange = "LOCAL-0021";
    public const string NotImplemented = "LOCAL-0022";
    public const string MethodNotAllowed = "LOCAL-0023";
    public const string CorsForbidden = "LOCAL-0024";
    public const string InvalidArgument = "LOCAL-0025";
    public const string InternalError = "LOCAL-0026";
    public const string IncompleteBody = "LOCAL-0027";
    public const string NoSuchUpload = "LOCAL-0028";
    public const string InvalidPart = "LOCAL-0029";
    public const string InvalidPartOrder = "LOCAL-0030";
    public const string EntityTooSmall = "LOCAL-0031";
    public const string MalformedXml = "LOCAL-0032";
    public const string RequestTimeout = "LOCAL-0033";
}
