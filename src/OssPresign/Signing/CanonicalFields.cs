namespace OssPresign.Signing;

/// <summary>
/// The six fields of a canonical request, already canonical: upper-case method, parameters with encoded names in
/// sorted order, the selected signed headers sorted by name (OSS-V4.md §1.4-§1.9). <see cref="CanonicalRequest"/>
/// holds them in arrays and writes them here; the presign path writes its own query (which is also its URL's) between
/// the same pieces.
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

    public void Write(ref PooledCharBuilder builder)
    {
        WriteMethodAndUri(ref builder, method, bucket, key);
        for (var i = 0; i < _sortedParameters.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('&');
            }

            AppendParameter(ref builder, _sortedParameters[i].Key, _sortedParameters[i].Value);
        }

        WriteAfterQuery(ref builder, _signedHeaders, additionalHeaders, hashedPayload);
    }

    /// <summary>Lines 1 and 2 and their line feeds, up to where the canonical query begins.</summary>
    /// <returns>The index in <paramref name="builder"/> where the encoded key begins (the URL path reuses it).</returns>
    public static int WriteMethodAndUri(ref PooledCharBuilder builder, string method, string? bucket, string? key)
    {
        builder.Append(method);
        builder.Append('\n');
        var keyStart = AppendCanonicalUri(ref builder, bucket, key);
        builder.Append('\n');
        return keyStart;
    }

    /// <summary>One pair of the canonical query: the encoded name, then <c>=</c> and the encoded value unless empty.</summary>
    public static void AppendParameter(ref PooledCharBuilder builder, string encodedName, string value)
    {
        builder.Append(encodedName);
        if (value.Length > 0)
        {
            // §1.6 rule 3: an empty value is written as the bare name, whether the URL had "k" or "k=".
            builder.Append('=');
            OssUriEncoding.AppendQueryComponent(ref builder, value);
        }
    }

    /// <summary>The line feed that ends the canonical query, then lines 4 to 6.</summary>
    public static void WriteAfterQuery(
        ref PooledCharBuilder builder, ReadOnlySpan<KeyValuePair<string, string>> signedHeaders, IReadOnlyList<string> additionalHeaders,
        string hashedPayload)
    {
        builder.Append('\n');
        foreach (var (name, value) in signedHeaders)
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

    /// <returns>The index in <paramref name="builder"/> where the encoded key begins.</returns>
    public static int AppendCanonicalUri(ref PooledCharBuilder builder, string? bucket, string? key)
    {
        // §1.5: "/" + bucket + "/" + raw key, encoded as one string with "/" kept; no dot-segment removal.
        builder.Append('/');
        if (bucket is not null)
        {
            OssUriEncoding.AppendPath(ref builder, bucket);
            builder.Append('/');
        }

        var keyStart = builder.Length;
        if (key is not null)
        {
            OssUriEncoding.AppendPath(ref builder, key);
        }

        return keyStart;
    }
}
