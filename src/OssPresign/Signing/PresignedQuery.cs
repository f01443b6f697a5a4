using System.Globalization;

namespace OssPresign.Signing;

/// <summary>
/// The wire format of a V4 presigned URL: the <c>x-oss-*</c> query parameters (OSS-V4.md §1.13). Formats them for
/// the signer and parses them for the server and <c>inspect</c>, so both read one definition.
/// </summary>
public sealed class PresignedQuery
{
    /// <summary><c>x-oss-signature-version</c>.</summary>
    public const string SignatureVersionParameter = "x-oss-signature-version";

    /// <summary><c>x-oss-date</c>.</summary>
    public const string DateParameter = "x-oss-date";

    /// <summary><c>x-oss-expires</c>.</summary>
    public const string ExpiresParameter = "x-oss-expires";

    /// <summary><c>x-oss-credential</c>.</summary>
    public const string CredentialParameter = "x-oss-credential";

    /// <summary><c>x-oss-additional-headers</c>.</summary>
    public const string AdditionalHeadersParameter = "x-oss-additional-headers";

    /// <summary><c>x-oss-security-token</c>.</summary>
    public const string SecurityTokenParameter = "x-oss-security-token";

    /// <summary><c>x-oss-signature</c>: never part of the canonical query.</summary>
    public const string SignatureParameter = "x-oss-signature";

    /// <summary>The credential: access key id and scope.</summary>
    public required CredentialScope Credential { get; init; }

    /// <summary>The signing time, <c>x-oss-date</c>.</summary>
    public required DateTimeOffset SigningTime { get; init; }

    /// <summary>Seconds of validity after <see cref="SigningTime"/>, <c>x-oss-expires</c>.</summary>
    public required long ExpiresSeconds { get; init; }

    /// <summary>The additional signed headers (lower-case, sorted); empty when none.</summary>
    public IReadOnlyList<string> AdditionalHeaders { get; init; } = [];

    /// <summary>The STS token, or null.</summary>
    public string? SecurityToken { get; init; }

    /// <summary>The hex signature; null before signing.</summary>
    public string? Signature { get; init; }

    /// <summary>When the URL stops working: <c>x-oss-date + x-oss-expires</c>.</summary>
    public DateTimeOffset ExpiresOn => SigningTime.AddSeconds(ExpiresSeconds);

    /// <summary>A copy of these parameters carrying <paramref name="signature"/>.</summary>
    /// <param name="signature">The hex signature.</param>
    /// <returns>The signed parameters.</returns>
    public PresignedQuery WithSignature(string signature) => new()
    {
        Credential = Credential,
        SigningTime = SigningTime,
        ExpiresSeconds = ExpiresSeconds,
        AdditionalHeaders = AdditionalHeaders,
        SecurityToken = SecurityToken,
        Signature = signature,
    };

    /// <summary>Whether a query carries V4 presign parameters at all.</summary>
    /// <param name="parameters">The decoded query parameters.</param>
    /// <returns>True when any V4 auth parameter is present.</returns>
    public static bool IsPresent(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters is IReadOnlyList<KeyValuePair<string, string>> list)
        {
            // Indexed: enumerating the interface would allocate an enumerator on every request the server checks.
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].Key is SignatureVersionParameter or CredentialParameter or SignatureParameter)
                {
                    return true;
                }
            }

            return false;
        }

        return parameters.Any(p => p.Key is SignatureVersionParameter or CredentialParameter or SignatureParameter);
    }

    /// <summary>Whether a parameter is one of the auth parameters this type owns.</summary>
    /// <param name="name">The decoded parameter name.</param>
    /// <returns>True for the <c>x-oss-*</c> presign parameters.</returns>
    public static bool IsAuthParameter(string name) => name is SignatureVersionParameter or DateParameter or ExpiresParameter
        or CredentialParameter or AdditionalHeadersParameter or SecurityTokenParameter or SignatureParameter;

    /// <summary>The parameters this query adds to the URL, raw (unencoded), in a stable order.</summary>
    /// <param name="includeSignature">Whether to include <c>x-oss-signature</c> (not for the canonical query).</param>
    /// <returns>The name/value pairs.</returns>
    public IEnumerable<KeyValuePair<string, string>> ToParameters(bool includeSignature)
    {
        var parameters = default(PooledPairList);
        try
        {
            AddParameters(ref parameters, AdditionalHeaders.Count > 0 ? string.Join(';', AdditionalHeaders) : null, Credential,
                OssV4.FormatDateTime(SigningTime), ExpiresSeconds.ToString(CultureInfo.InvariantCulture), SecurityToken,
                includeSignature ? Signature : null);
            return parameters.Items.ToArray();
        }
        finally
        {
            parameters.Dispose();
        }
    }

    /// <summary>
    /// Adds the auth parameters, raw (unencoded), in the order of <see cref="ToParameters"/>; the signature, when
    /// given, goes just before <c>x-oss-signature-version</c>, which puts the block in Go's order (sorted by name).
    /// </summary>
    internal static void AddParameters(
        ref PooledPairList parameters, string? additionalHeaders, CredentialScope credential, string signingTime, string expiresSeconds,
        string? securityToken, string? signature)
    {
        if (additionalHeaders is not null)
        {
            parameters.Add(AdditionalHeadersParameter, additionalHeaders);
        }

        parameters.Add(CredentialParameter, credential.ToString());
        parameters.Add(DateParameter, signingTime);
        parameters.Add(ExpiresParameter, expiresSeconds);
        if (securityToken is not null)
        {
            parameters.Add(SecurityTokenParameter, securityToken);
        }

        if (signature is not null)
        {
            parameters.Add(SignatureParameter, signature);
        }

        parameters.Add(SignatureVersionParameter, OssV4.Algorithm);
    }

    /// <summary>
    /// Parses the presign parameters out of a decoded query. Checks only the format (§5.2 EC codes); the verifier
    /// checks time, scope and signature.
    /// </summary>
    /// <param name="parameters">The decoded query parameters.</param>
    /// <param name="query">The parsed parameters, when well formed.</param>
    /// <param name="failure">What is wrong, when not.</param>
    /// <returns>Whether the parameters are well formed.</returns>
    public static bool TryParse(IEnumerable<KeyValuePair<string, string>> parameters, out PresignedQuery? query, out OssAuthFailure? failure)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        query = null;
        var values = default(AuthValues);
        if (parameters is IReadOnlyList<KeyValuePair<string, string>> list)
        {
            // Indexed: enumerating the interface would allocate an enumerator per verified request.
            for (var i = 0; i < list.Count; i++)
            {
                values.Take(list[i]);
            }
        }
        else
        {
            foreach (var parameter in parameters)
            {
                values.Take(parameter);
            }
        }

        var (version, date, expires, credential, additional, token, signature) = values;

        // Strict reading: every failure of the signature's format is 403 AccessDenied with the EC of the official
        // error-code pages; the pages do not state the status (OSS-V4.md §5.2, UNCERTAIN).
        failure = version != OssV4.Algorithm
            ? OssAuthFailure.AccessDenied($"x-oss-signature-version must be {OssV4.Algorithm}.", "0002-00000066")
            : credential is null
            ? OssAuthFailure.AccessDenied("x-oss-credential is missing from the presigned URL.", "0002-00000217")
            : signature is null or ""
            ? OssAuthFailure.AccessDenied("x-oss-signature is missing from the presigned URL.", "0002-00000219")
            : expires is null
            ? OssAuthFailure.AccessDenied("x-oss-expires is missing from the presigned URL.", "0002-00000215")
            : null;
        if (failure is not null)
        {
            return false;
        }

        if (!CredentialScope.TryParse(credential, out var scope))
        {
            failure = OssAuthFailure.AccessDenied(
                "x-oss-credential is malformed; it must be AccessKeyId/yyyyMMdd/region/oss/aliyun_v4_request.", "0002-00000224");
            return false;
        }

        if (!OssV4.IsValidDate(scope!.Date))
        {
            failure = OssAuthFailure.AccessDenied("The date in x-oss-credential must be yyyyMMdd.", "0002-00000223");
            return false;
        }

        if (!OssV4.TryParseDateTime(date, out var signingTime))
        {
            failure = OssAuthFailure.AccessDenied("x-oss-date must be yyyyMMdd'T'HHmmss'Z'.", "0002-00000502");
            return false;
        }

        // A negative number is an integer outside the range (0002-00000232), not a malformed one (0002-00000070);
        // '+', spaces and the like stay malformed (the strict reading).
        var negative = expires is ['-', _, ..];
        if (!long.TryParse(negative ? expires.AsSpan(1) : expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresSeconds))
        {
            failure = OssAuthFailure.AccessDenied("x-oss-expires must be an integer number of seconds.", "0002-00000070");
            return false;
        }

        if (negative || expiresSeconds is < 1 or > OssV4.MaxExpiresSeconds)
        {
            failure = OssAuthFailure.AccessDenied(
                $"x-oss-expires must be between 1 and {OssV4.MaxExpiresSeconds} seconds (seven days).", "0002-00000232");
            return false;
        }

        if (!TryParseAdditionalHeaders(additional, out var additionalHeaders, out failure))
        {
            return false;
        }

        query = new PresignedQuery
        {
            Credential = scope,
            SigningTime = signingTime,
            ExpiresSeconds = expiresSeconds,
            AdditionalHeaders = additionalHeaders,
            SecurityToken = token,
            Signature = signature,
        };
        return true;
    }

    /// <summary>Parses an additional-headers list (<c>a;b</c>) as it appears in a URL or Authorization header.</summary>
    internal static bool TryParseAdditionalHeaders(string? value, out IReadOnlyList<string> headers, out OssAuthFailure? failure)
    {
        headers = [];
        failure = null;
        if (value is null)
        {
            return true;
        }

        if (value.Length == 0)
        {
            failure = OssAuthFailure.AccessDenied("The additional-headers list is empty; omit it instead.", "0002-00000209");
            return false;
        }

        var names = value.Split(';');
        if (Array.Exists(names, string.IsNullOrWhiteSpace))
        {
            failure = OssAuthFailure.AccessDenied($"The additional-headers list '{value}' has an empty item.", "0002-00000210");
            return false;
        }

        headers = [.. names.Select(n => n.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return true;
    }

    private record struct AuthValues(
        string? Version, string? Date, string? Expires, string? Credential, string? Additional, string? Token, string? Signature)
    {
        public void Take(KeyValuePair<string, string> parameter)
        {
            switch (parameter.Key)
            {
                case SignatureVersionParameter: Version = parameter.Value; break;
                case DateParameter: Date = parameter.Value; break;
                case ExpiresParameter: Expires = parameter.Value; break;
                case CredentialParameter: Credential = parameter.Value; break;
                case AdditionalHeadersParameter: Additional = parameter.Value; break;
                case SecurityTokenParameter: Token = parameter.Value; break;
                case SignatureParameter: Signature = parameter.Value; break;
                default: break;
            }
        }
    }
}
