namespace OssPresign.Signing;

/// <summary>
/// The wire format of the V4 Authorization header (OSS-V4.md §1.12):
/// <c>OSS4-HMAC-SHA256 Credential=ak/scope[,AdditionalHeaders=a;b],Signature=hex</c>.
/// </summary>
/// <param name="Credential">The credential: access key id and scope.</param>
/// <param name="AdditionalHeaders">The additional signed headers (lower-case, sorted); empty when none.</param>
/// <param name="Signature">The hex signature.</param>
public sealed record AuthorizationHeader(CredentialScope Credential, IReadOnlyList<string> AdditionalHeaders, string Signature)
{
    /// <summary>The header value in the SDKs' form: no spaces after the commas.</summary>
    /// <returns>The Authorization header value.</returns>
    public override string ToString() => AdditionalHeaders.Count == 0
        ? $"{OssV4.Algorithm} Credential={Credential},Signature={Signature}"
        : $"{OssV4.Algorithm} Credential={Credential},AdditionalHeaders={string.Join(';', AdditionalHeaders)},Signature={Signature}";

    /// <summary>Whether an Authorization header value claims to be V4.</summary>
    /// <param name="value">The header value.</param>
    /// <returns>True when it starts with <c>OSS4-HMAC-SHA256 </c>.</returns>
    public static bool IsV4(string? value) => value is not null && value.StartsWith(OssV4.Algorithm + " ", StringComparison.Ordinal);

    /// <summary>
    /// Parses a V4 Authorization header. Spaces after the commas are accepted, since the docs write them while the
    /// SDKs do not (§1.12).
    /// </summary>
    /// <param name="value">The header value.</param>
    /// <param name="header">The parsed header, when well formed.</param>
    /// <param name="failure">What is wrong, when not.</param>
    /// <returns>Whether the header is well formed.</returns>
    public static bool TryParse(string? value, out AuthorizationHeader? header, out OssAuthFailure? failure)
    {
        header = null;
        if (!IsV4(value))
        {
            failure = OssAuthFailure.AccessDenied($"The Authorization header must start with '{OssV4.Algorithm} '.", "0002-00000213");
            return false;
        }

        string? credential = null, additional = null, signature = null;
        foreach (var part in value![(OssV4.Algorithm.Length + 1)..].Split(','))
        {
            var item = part.Trim();
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? item : item[..equals];
            var itemValue = equals < 0 ? string.Empty : item[(equals + 1)..];
            switch (name)
            {
                case "Credential": credential = itemValue; break;
                case "AdditionalHeaders": additional = itemValue; break;
                case "Signature": signature = itemValue; break;
                default:
                    failure = OssAuthFailure.AccessDenied($"The Authorization header has an unknown element '{name}'.", "0002-00000213");
                    return false;
            }
        }

        if (!CredentialScope.TryParse(credential, out var scope))
        {
            failure = OssAuthFailure.AccessDenied(
                "The Authorization Credential is malformed; it must be AccessKeyId/yyyyMMdd/region/oss/aliyun_v4_request.", "0002-00000213");
            return false;
        }

        if (!OssV4.IsValidDate(scope!.Date))
        {
            failure = OssAuthFailure.AccessDenied("The date in the Authorization Credential must be yyyyMMdd.", "0002-00000212");
            return false;
        }

        if (string.IsNullOrEmpty(signature))
        {
            failure = OssAuthFailure.AccessDenied("The Authorization header has no Signature.", "0002-00000213");
            return false;
        }

        if (!PresignedQuery.TryParseAdditionalHeaders(additional, out var additionalHeaders, out failure))
        {
            return false;
        }

        header = new AuthorizationHeader(scope, additionalHeaders, signature);
        return true;
    }
}
