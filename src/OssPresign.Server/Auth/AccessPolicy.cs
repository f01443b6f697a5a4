using System.Text.Json;

namespace OssPresign.Server.Auth;

/// <summary>
/// A RAM-style policy: statements of Effect (Allow/Deny), Action (<c>oss:PutObject</c>, <c>oss:*</c>, ...) and
/// Resource (<c>acs:oss:*:*:bucket/key</c>) with <c>*</c> and <c>?</c> wildcards. An explicit Deny wins; what no
/// statement allows is denied.
/// </summary>
/// <remarks>
/// Conditions are not evaluated, so a policy that has them is refused when loaded rather than silently widened or
/// narrowed. The account segment of a resource is not checked: the local server has one account.
/// </remarks>
internal sealed class AccessPolicy
{
    private readonly Statement[] _statements;

    private AccessPolicy(Statement[] statements) => _statements = statements;

    /// <summary>The actions the server checks (the RAM names OSS uses).</summary>
    internal static class Actions
    {
        public const string GetObject = "oss:GetObject";
        public const string PutObject = "oss:PutObject";
        public const string DeleteObject = "oss:DeleteObject";
        public const string ListObjects = "oss:ListObjects";
        public const string ListBuckets = "oss:ListBuckets";
        public const string PutBucket = "oss:PutBucket";
        public const string DeleteBucket = "oss:DeleteBucket";

        /// <summary>As on OSS, InitiateMultipartUpload, UploadPart and CompleteMultipartUpload need oss:PutObject instead.</summary>
        public const string AbortMultipartUpload = "oss:AbortMultipartUpload";
        public const string ListParts = "oss:ListParts";
        public const string ListMultipartUploads = "oss:ListMultipartUploads";
    }

    /// <summary>Parses a policy document.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="FormatException">The document is not a policy this server can evaluate; the message says why.</exception>
    public static AccessPolicy Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The policy is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !TryGetProperty(root, "Statement", out var statements))
            {
                throw new FormatException("The policy must be a JSON object with a \"Statement\" array.");
            }

            var list = new List<Statement>();
            foreach (var statement in statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray() : Single(statements))
            {
                list.Add(ParseStatement(statement));
            }

            return new AccessPolicy([.. list]);
        }
    }

    /// <summary>Whether the policy allows <paramref name="action"/> on a resource.</summary>
    /// <param name="action">The RAM action, e.g. <c>oss:PutObject</c>.</param>
    /// <param name="region">The region of the resource (the bucket's, or the server's).</param>
    /// <param name="resource">The part after <c>acs:oss:region:account:</c>: <c>bucket/key</c>, <c>bucket</c> or <c>*</c>.</param>
    /// <returns>True when some statement allows it and none denies it.</returns>
    public bool IsAllowed(string action, string region, string resource)
    {
        var allowed = false;
        foreach (var statement in _statements)
        {
            if (!statement.Matches(action, region, resource))
            {
                continue;
            }

            if (!statement.Allow)
            {
                return false;
            }

            allowed = true;
        }

        return allowed;
    }

    private static Statement ParseStatement(JsonElement statement)
    {
        if (statement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("Each policy statement must be a JSON object.");
        }

        foreach (var property in statement.EnumerateObject())
        {
            if (property.Name is not ("Effect" or "Action" or "Resource" or "Sid"))
            {
                throw new FormatException(
                    $"The policy statement element \"{property.Name}\" is not supported by the local server; use Effect, Action and Resource.");
            }
        }

        var effect = TryGetProperty(statement, "Effect", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        var allow = effect switch
        {
            "Allow" => true,
            "Deny" => false,
            _ => throw new FormatException($"A policy statement's Effect must be \"Allow\" or \"Deny\", not \"{effect}\"."),
        };

        var actions = ReadStrings(statement, "Action");
        foreach (var action in actions)
        {
            if (!action.StartsWith("oss:", StringComparison.OrdinalIgnoreCase) && action != "*")
            {
                throw new FormatException($"The policy action \"{action}\" is not an OSS action (oss:...).");
            }
        }

        var resources = ReadStrings(statement, "Resource").Select(ParseResource).ToArray();
        return new Statement(allow, actions, resources);
    }

    private static ResourcePattern ParseResource(string resource)
    {
        if (resource == "*")
        {
            return new ResourcePattern("*", "*");
        }

        // acs:oss:<region>:<account>:<bucket/key>; the last part may itself contain ':' (object keys may).
        var parts = resource.Split(':', 5);
        if (parts.Length != 5 || parts[0] != "acs" || parts[1] != "oss")
        {
            throw new FormatException($"The policy resource \"{resource}\" must look like acs:oss:*:*:bucket/key.");
        }

        return new ResourcePattern(parts[2], parts[4]);
    }

    private static string[] ReadStrings(JsonElement statement, string name)
    {
        if (!TryGetProperty(statement, name, out var value))
        {
            throw new FormatException($"A policy statement needs \"{name}\".");
        }

        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToArray() : [value];
        if (items.Length == 0 || Array.Exists(items, i => i.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(i.GetString())))
        {
            throw new FormatException($"A policy statement's \"{name}\" must be a non-empty string or array of strings.");
        }

        return [.. items.Select(i => i.GetString()!)];
    }

    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value) => element.TryGetProperty(name, out value);

    private static IEnumerable<JsonElement> Single(JsonElement element)
    {
        yield return element;
    }

    /// <summary>Wildcard match: <c>*</c> is any run of characters, <c>?</c> exactly one.</summary>
    internal static bool WildcardMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        // Iterative matcher with single backtrack point: linear in practice, no recursion on long keys.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || CharEquals(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool CharEquals(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));

    private sealed record ResourcePattern(string Region, string Resource);

    private sealed class Statement(bool allow, string[] actions, ResourcePattern[] resources)
    {
        public bool Allow { get; } = allow;

        public bool Matches(string action, string region, string resource) =>
            // Action names are case-insensitive in RAM; resources (bucket and key) are not.
            actions.Any(a => WildcardMatch(a, action, ignoreCase: true))
            && resources.Any(r => WildcardMatch(r.Region, region, ignoreCase: false) && WildcardMatch(r.Resource, resource, ignoreCase: false));
    }
}
