namespace OssPresign.Signing;

/// <summary>
/// The six fields of a canonical request, already canonical: upper-case method, parameters with encoded names in
/// sorted order, the selected signed headers sorted by name (OSS-V4.md §1.4-§1.9). <see cref="CanonicalRequest"/>
/// holds them in arrays; the presign path holds them in pooled buffers. Both are written and hashed here.
/// </summary>
internal readonly ref struct CanonicalFields(
    string method,
    string? bucket,
    string? key,
    ReadOnlySpan<KeyValuePair<string, string>> sortedParameters,
    ReadOnlySpan<KeyValuePair<string, string>> signedHeaders,
    IReadOnlyList<string> additionalHeaders,
    string hashedPayload)
{
    private readonly ReadOnlySpan<KeyValuePair<string, string>> _sortedParameters = sortedParameters;
    private readonly ReadOnlySpan<KeyValuePair<string, string>> _signedHeaders = signedHeaders;

    /// <summary>Writes the lower-case hex SHA-256 of the UTF-8 canonical request (64 chars): line 4 of the string to sign.</summary>
    public void WriteHexHash(Span<char> destination)
    {
        var builder = new PooledCharBuilder(512);
        try
        {
            Write(ref builder);
            SigningHashes.Sha256Hex(builder.Written, destination);
        }
        finally
        {
            builder.Dispose();
        }
    }

    public void Write(ref PooledCharBuilder builder)
    {
        builder.Append(method);
        builder.Append('\n');
        AppendCanonicalUri(ref builder, bucket, key);
        builder.Append('\n');

        for (var i = 0; i < _sortedParameters.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('&');
            }

            builder.Append(_sortedParameters[i].Key);
            if (_sortedParameters[i].Value.Length > 0)
            {
                // §1.6 rule 3: an empty value is written as the bare name, whether the URL had "k" or "k=".
                builder.Append('=');
                OssUriEncoding.AppendQueryComponent(ref builder, _sortedParameters[i].Value);
            }
        }

        builder.Append('\n');
        foreach (var (name, value) in _signedHeaders)
        {
            builder.Append(name);
            builder.Append(':');
            builder.Append(value);
            builder.Append('\n');
        }

        builder.Append('\n');
        for (var i = 0; i < additionalHeaders.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(';');
            }

            builder.Append(additionalHeaders[i]);
        }

        builder.Append('\n');
        builder.Append(hashedPayload);
    }

    public static void AppendCanonicalUri(ref PooledCharBuilder builder, string? bucket, string? key)
    {
        // §1.5: "/" + bucket + "/" + raw key, encoded as one string with "/" kept; no dot-segment removal.
        builder.Append('/');
        if (bucket is not null)
        {
            OssUriEncoding.AppendPath(ref builder, bucket);
            builder.Append('/');
        }

        if (key is not null)
        {
            OssUriEncoding.AppendPath(ref builder, key);
        }
    }
}
