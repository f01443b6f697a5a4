namespace OssPresign.Server.Api;

/// <summary>
/// What the server can send back in a response header. Kestrel refuses a control character in one (an exception, so
/// a 500 after the request had been served), and sends only ASCII unless told otherwise
/// (<c>LocalOssServer.ConfigureKestrel</c> tells it to send UTF-8). The headers an object keeps are stricter, ASCII as
/// the library signs them (<see cref="OssNames.IsValidHeaderValue"/>).
/// </summary>
internal static class HeaderText
{
    /// <summary>
    /// Whether <paramref name="value"/> can be sent in a response header: no control character but tab. Text beyond
    /// ASCII goes out as UTF-8.
    /// </summary>
    public static bool CanEcho(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' and not '\t' or '\u007F')
            {
                return false;
            }
        }

        return true;
    }
}
