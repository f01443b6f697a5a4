using System.Text.Json;
using OssPresign.Server.Storage;

namespace OssPresign.Server;

/// <summary>
/// The JSON config file (<see cref="LocalOssServerOptions.ConfigFile"/>). Property names are case-insensitive:
/// <code>
/// {
///   "buckets": [
///     { "name": "examplebucket", "region": "cn-hangzhou",
///       "cors": [ { "AllowedOrigin": ["https://app.example"], "AllowedMethod": ["PUT", "GET"], "AllowedHeader": ["*"],
///                   "ExposeHeader": ["ETag", "x-oss-request-id"], "MaxAgeSeconds": 600 } ] }
///   ],
///   "accessKeys": [
///     { "id": "uploader", "secret": "...", "securityToken": null, "disabled": false,
///       "policy": { "Version": "1", "Statement": [ { "Effect": "Allow", "Action": ["oss:PutObject"],
///                   "Resource": ["acs:oss:*:*:examplebucket/uploads/*"] } ] } }
///   ]
/// }
/// </code>
/// A bucket's region defaults to the server's; its <c>cors</c> rules replace the stored ones on every start. A
/// policy may be a JSON object or a string holding one.
/// </summary>
internal sealed class LocalOssConfigFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public List<BucketConfig> Buckets { get; init; } = [];

    public List<AccessKeyConfig> AccessKeys { get; init; } = [];

    /// <summary>Reads a config file.</summary>
    /// <exception cref="InvalidOperationException">The file is missing or malformed; the message names it.</exception>
    public static LocalOssConfigFile Load(string path)
    {
        if (Directory.Exists(path))
        {
            // Opening a folder fails as "access denied", which sends a user looking at permissions.
            throw new InvalidOperationException($"The config file '{path}' is a folder; give the JSON file.");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<LocalOssConfigFile>(stream, Json)
                ?? throw new InvalidOperationException($"The config file '{path}' is empty.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidOperationException($"Cannot read the config file '{path}': {e.Message}", e);
        }
    }

    /// <summary>The access keys, as the in-code type.</summary>
    public IEnumerable<LocalAccessKey> ToAccessKeys() => AccessKeys.Select(k => new LocalAccessKey(k.Id ?? string.Empty, k.Secret ?? string.Empty)
    {
        SecurityToken = string.IsNullOrEmpty(k.SecurityToken) ? null : k.SecurityToken,
        Policy = k.Policy switch
        {
            null => null,
            { ValueKind: JsonValueKind.Null } => null,
            { ValueKind: JsonValueKind.String } p => p.GetString(),
            { } p => p.GetRawText(),
        },
        Disabled = k.Disabled,
    });

    internal sealed class BucketConfig
    {
        public string? Name { get; init; }

        public string? Region { get; init; }

        public List<CorsRule>? Cors { get; init; }
    }

    internal sealed class AccessKeyConfig
    {
        public string? Id { get; init; }

        public string? Secret { get; init; }

        public string? SecurityToken { get; init; }

        public JsonElement? Policy { get; init; }

        public bool Disabled { get; init; }
    }
}
