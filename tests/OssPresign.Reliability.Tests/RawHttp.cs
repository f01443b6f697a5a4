using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;

namespace OssPresign.Reliability.Tests;

/// <summary>One HTTP/1.1 exchange written byte for byte over a socket: nothing is normalized, validated or added.</summary>
internal static class RawHttp
{
    /// <summary>
    /// Sends <c>METHOD target HTTP/1.1</c>, the headers as given (no Host unless listed), <c>Connection: close</c>
    /// and the body, then reads the response until the server closes the connection.
    /// </summary>
    public static async Task<RawResponse> SendAsync(Uri endpoint, string method, string target, IEnumerable<KeyValuePair<string, string>> headers, byte[] body)
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()));
            await stream.WriteAsync(body);
        }
        catch (IOException)
        {
            // The server may answer and close before reading a refused request's body; the answer is still readable.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return Parse(await ReadToEndAsync(stream, timeout.Token));
    }

    public static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(buffer, cancellationToken);
        }
        catch (IOException)
        {
            // A reset after the response (the server closing with unread request bytes) still leaves what was read.
        }

        return buffer.ToArray();
    }

    public static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || end < 0)
        {
            return new RawResponse(0, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), string.Empty);
        }

        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new RawResponse(status, headers, text[(end + 4)..]);
    }
}

/// <summary>A response read by <see cref="RawHttp"/>; status 0 when the connection closed without one.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The OSS error code: from the XML body, or for HEAD from the base64 XML in <c>x-oss-err</c>.</summary>
    public string? ErrorCode
    {
        get
        {
            var xml = Body.Contains("<Error>", StringComparison.Ordinal) ? Body[Body.IndexOf('<', StringComparison.Ordinal)..]
                : Headers.TryGetValue("x-oss-err", out var encoded) ? Encoding.UTF8.GetString(Convert.FromBase64String(encoded))
                : null;
            return xml is null ? null : XElement.Parse(xml).Element("Code")?.Value;
        }
    }
}
