using OssPresign.Server.Console;

namespace OssPresign.Server;

/// <summary>The console's part of <see cref="LocalOssServer"/>.</summary>
public sealed partial class LocalOssServer
{
    /// <summary>
    /// The browser upload page, e.g. <c>http://127.0.0.1:9000/_console/</c>, or null when
    /// <see cref="LocalOssServerOptions.EnableConsole"/> is off. On a server bound to loopback the page can have files
    /// presigned by the server; elsewhere it uploads only to presigned URLs pasted into it.
    /// </summary>
    public Uri? ConsoleAddress => App.Services.GetService<ConsoleSettings>() is null ? null : new Uri(Endpoint, ConsoleEndpoints.BasePath);
}
