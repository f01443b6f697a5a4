using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
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
internal sealed partial class LocalOssConfigFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,

        // A misspelt property ("bucket", "AllowedOrigins") would otherwise be ignored without a word, and a null
        // where a list belongs would fail later, far from the file.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
    };

    private static readonly string[] CorsMethods = ["GET", "PUT", "DELETE", "POST", "HEAD"];

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

        LocalOssConfigFile config;
        try
        {
            using var stream = File.OpenRead(path);
            config = JsonSerializer.Deserialize<LocalOssConfigFile>(stream, Json)
                ?? throw new InvalidOperationException($"The config file '{path}' is empty.");
        }
        catch (JsonException e) when (UnknownProperty().Match(e.Message) is { Success: true } unknown)
        {
            // System.Text.Json names the .NET type it could not map the property to, and not where the property is.
            throw new InvalidOperationException(
                $"Cannot read the config file '{path}': unknown property '{unknown.Groups["name"].Value}' at {e.Path} (line {e.LineNumber + 1}); " +
                "a config file has buckets (name, region, cors) and accessKeys (id, secret, securityToken, policy, disabled).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidOperationException($"Cannot read the config file '{path}': {e.Message}", e);
        }

        if (config.Problem() is { } problem)
        {
            throw new InvalidOperationException($"The config file '{path}': {problem}");
        }

        return config;
    }

    /// <summary>
    /// What the JSON types cannot say: keys need an id and a secret, and CORS rules follow OSS's PutBucketCors (an
    /// origin and a method at least, methods among GET, PUT, DELETE, POST and HEAD, at most one <c>*</c> in an origin
    /// or header). Bucket names and policies are checked where they are used, with their own messages.
    /// </summary>
    private string? Problem()
    {
        // Elements of a list may still be null: the annotations do not reach them.
        if (AccessKeys.IndexOf(null!) is >= 0 and var nullKey)
        {
            return $"access key {nullKey + 1} is null.";
        }

        if (Buckets.IndexOf(null!) is >= 0 and var nullBucket)
        {
            return $"bucket {nullBucket + 1} is null.";
        }

        for (var i = 0; i < AccessKeys.Count; i++)
        {
            var key = AccessKeys[i];
            if (string.IsNullOrWhiteSpace(key.Id))
            {
                return $"access key {i + 1} has no \"id\".";
            }

            if (string.IsNullOrWhiteSpace(key.Secret))
            {
                return $"access key '{key.Id}' has no \"secret\".";
            }
        }

        foreach (var bucket in Buckets)
        {
            var rules = bucket.Cors ?? [];
            for (var i = 0; i < rules.Count; i++)
            {
                if ((rules[i] is null ? "it is null." : CorsRuleProblem(rules[i])) is { } problem)
                {
                    return $"bucket '{bucket.Name}', CORS rule {i + 1}: {problem}";
                }
            }
        }

        return null;
    }

    private static string? CorsRuleProblem(CorsRule rule)
    {
        if (rule.AllowedOrigin.Count == 0 || rule.AllowedMethod.Count == 0)
        {
            return "give at least one AllowedOrigin and one AllowedMethod.";
        }

        if (rule.AllowedMethod.FirstOrDefault(m => !CorsMethods.Contains(m, StringComparer.Ordinal)) is { } method)
        {
            return $"AllowedMethod '{method}' is not one of {string.Join(", ", CorsMethods)}.";
        }

        if (rule.AllowedOrigin.Concat(rule.AllowedHeader).FirstOrDefault(p => p.Count(c => c == '*') > 1) is { } pattern)
        {
            return $"'{pattern}' has more than one '*'.";
        }

        return rule.MaxAgeSeconds < 0 ? "MaxAgeSeconds must not be negative." : null;
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

    [GeneratedRegex("^The JSON property '(?<name>.*)' could not be mapped")]
    private static partial Regex UnknownProperty();
}
