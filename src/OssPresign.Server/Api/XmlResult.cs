using System.Text;
using System.Xml;

namespace OssPresign.Server.Api;

/// <summary>A 200 response with an XML body written by <paramref name="write"/> (a document of one root element).</summary>
/// <param name="write">Writes the root element.</param>
internal sealed class XmlResult(Action<XmlWriter> write) : IResult
{
    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            WriteDeclaration(writer);
            write(writer);
            writer.WriteEndDocument();
        }

        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = "application/xml";
        httpContext.Response.ContentLength = buffer.Length;
        await httpContext.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), httpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the declaration as OSS does, <c>encoding="UTF-8"</c>; <see cref="XmlWriter.WriteStartDocument()"/> would
    /// write <c>utf-8</c>, which parsers accept, but a client comparing bodies with OSS's would see the difference.
    /// </summary>
    internal static void WriteDeclaration(XmlWriter writer) => writer.WriteProcessingInstruction("xml", "version=\"1.0\" encoding=\"UTF-8\"");
}
