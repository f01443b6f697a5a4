namespace OssPresign.Server;

/// <summary>How a <see cref="LocalOssServer"/> listens, where it keeps its data and whom it lets in.</summary>
public sealed class LocalOssServerOptions
{
    /// <summary>
    /// The address to listen on: an IP address or <c>localhost</c>. Loopback by default; any other address needs a
    /// configured access key (the server refuses to expose a development key to the network).
    /// </summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>
    /// The TCP port; 0 picks a free one (read it back from <see cref="LocalOssServer.Endpoint"/>). The default, 9000, is
    /// <c>serve</c>'s: test suites should pass 0, so that servers of test classes running in parallel do not clash. A
    /// port in use stops the start with an <see cref="IOException"/> that names it.
    /// </summary>
    public int Port { get; init; } = 9000;

    /// <summary>
    /// The folder of the SQLite metadata database, the object bodies and the development key, created if missing. A
    /// relative path is relative to the current directory (a test run's is its output folder), so the default,
    /// <c>.oss-data</c>, is shared by every server started without one. One running server per folder: another that is
    /// given it is refused with an <see cref="InvalidOperationException"/>. The server never deletes it; a test suite
    /// gives each server a fresh temporary folder and deletes it after disposing the server.
    /// </summary>
    public string DataDirectory { get; init; } = ".oss-data";

    /// <summary>
    /// The region of the buckets created from <see cref="Buckets"/> and of the service (ListBuckets, PutBucket), as the
    /// bare region id (<c>cn-hangzhou</c>); an <c>oss-</c> prefix is dropped, as <see cref="OssClientOptions.Region"/>
    /// drops it, since the signature's scope never has one.
    /// </summary>
    public string Region { get; init; } = "cn-hangzhou";

    /// <summary>
    /// Buckets created on start when missing, in <see cref="Region"/>, with a permissive development CORS rule.
    /// </summary>
    public IList<string> Buckets { get; init; } = ["examplebucket"];

    /// <summary>
    /// A JSON file declaring buckets and access keys (property names case-insensitive; comments allowed):
    /// <code>
    /// { "buckets": [ { "name": "examplebucket", "region": "cn-hangzhou",
    ///                  "cors": [ { "AllowedOrigin": ["https://app.example"], "AllowedMethod": ["PUT"], "AllowedHeader": ["*"],
    ///                              "ExposeHeader": ["ETag", "x-oss-request-id"], "MaxAgeSeconds": 600 } ] } ],
    ///   "accessKeys": [ { "id": "uploader", "secret": "...", "securityToken": null, "disabled": false,
    ///                     "policy": { "Version": "1", "Statement": [ { "Effect": "Allow", "Action": ["oss:PutObject"],
    ///                                 "Resource": ["acs:oss:*:*:examplebucket/uploads/*"] } ] } } ] }
    /// </code>
    /// A bucket's region defaults to <see cref="Region"/>; its CORS rules replace the stored ones on every start.
    /// Keys from the file come after <see cref="AccessKeys"/>. A property the file does not know (a misspelt
    /// <c>"bucket"</c>, say), a key without an id or secret, or a CORS rule OSS would refuse (no origin or method, a
    /// method other than GET, PUT, DELETE, POST and HEAD, two <c>*</c> in one origin or header) stops the start with
    /// an <see cref="InvalidOperationException"/> that names the file and the place.
    /// </summary>
    public string? ConfigFile { get; init; }

    /// <summary>
    /// Access keys declared in code; the same as the config file's <c>accessKeys</c>. When there are any, the first is
    /// <see cref="LocalOssServer.Credentials"/> and <c>OSS_ACCESS_KEY_ID</c> / <c>OSS_ACCESS_KEY_SECRET</c> are not used,
    /// so that a test suite that declares its keys does not depend on the shell it runs in.
    /// </summary>
    public IList<LocalAccessKey> AccessKeys { get; init; } = [];

    /// <summary>
    /// Serves the browser upload page at <c>/_console/</c> (<see cref="LocalOssServer.ConsoleAddress"/>). On a loopback
    /// address it also maps a same-origin endpoint that presigns PUTs with <see cref="LocalOssServer.Credentials"/>.
    /// </summary>
    public bool EnableConsole { get; init; }

    /// <summary>The server clock: signature expiry and skew, Last-Modified, the Date header.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Configures logging. When null the server logs nothing, so that an embedding test suite stays quiet; the CLI
    /// passes a console logger here.
    /// </summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>
    /// Runs after the OSS pipeline is set up and before the server starts: map extra endpoints here (the console
    /// feature maps <c>/_console/</c>). An endpoint whose route is more specific than the OSS catch-all wins; its
    /// responses still carry <c>x-oss-request-id</c> but are not authenticated by the OSS rules.
    /// </summary>
    public Action<WebApplication>? ConfigureApplication { get; init; }
}

/// <summary>
/// An access key the server accepts, with an optional STS token that requests must carry, an optional RAM-style
/// policy (JSON) and a disabled flag. <see cref="ToString"/> never shows the secret or the token.
/// </summary>
/// <param name="AccessKeyId">The access key id.</param>
/// <param name="AccessKeySecret">The access key secret.</param>
public sealed record LocalAccessKey(string AccessKeyId, string AccessKeySecret)
{
    /// <summary>
    /// When set, a request signed with this key must carry exactly this <c>x-oss-security-token</c>. Null or empty: the
    /// key is not an STS key.
    /// </summary>
    public string? SecurityToken { get; init; }

    /// <summary>
    /// A RAM-style policy, e.g.
    /// <c>{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/uploads/*"]}]}</c>.
    /// Null means full access. Deny wins over Allow; anything not allowed is denied.
    /// </summary>
    public string? Policy { get; init; }

    /// <summary>A disabled key is refused as if unknown (403 InvalidAccessKeyId).</summary>
    public bool Disabled { get; init; }

    /// <summary>The key id and flags; never the secret or the token.</summary>
    /// <returns>A string safe to log.</returns>
    public override string ToString() =>
        $"LocalAccessKey {{ AccessKeyId = {AccessKeyId}, AccessKeySecret = ***, SecurityToken = {(SecurityToken is null ? "none" : "***")}, " +
        $"Policy = {(Policy is null ? "full access" : "custom")}, Disabled = {Disabled} }}";
}
