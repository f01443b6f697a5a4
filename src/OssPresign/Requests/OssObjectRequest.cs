using System.Globalization;
using System.Runtime.CompilerServices;
using OssPresign.Signing;

namespace OssPresign;

/// <summary>
/// An object operation that can be presigned. Each subtype only says what it contributes (method, headers, query
/// parameters); <see cref="OssClient.PresignAsync"/> is the one code path that signs them all.
/// </summary>
public abstract class OssObjectRequest
{
    private protected OssObjectRequest()
    {
    }

    /// <summary>The bucket name: 3-63 characters of <c>[a-z0-9-]</c>, not starting or ending with <c>-</c>.</summary>
    public required string Bucket { get; init; }

    /// <summary>The object key: 1-1023 UTF-8 bytes, any characters.</summary>
    public required string Key { get; init; }

    /// <summary>Any other request headers. Content-Type, Content-MD5 and <c>x-oss-*</c> ones are signed.</summary>
    public IDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Any other query parameters, all signed. An empty value is a key-only parameter.</summary>
    public IDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The HTTP method of the operation.</summary>
    internal abstract string Method { get; }

    /// <summary>Checks the request's properties; called before anything is signed.</summary>
    /// <exception cref="ArgumentNullException"><see cref="Headers"/> or <see cref="Parameters"/> was set to null.</exception>
    internal void Validate()
    {
        // Init-settable, so a caller can set them to null; say which rather than fail with a NullReferenceException.
        ArgumentNullException.ThrowIfNull(Headers, nameof(Headers));
        ArgumentNullException.ThrowIfNull(Parameters, nameof(Parameters));
        ValidateOperation();
    }

    /// <summary>Checks the operation's own properties.</summary>
    private protected virtual void ValidateOperation()
    {
    }

    /// <summary>Adds the operation's own headers and parameters (OSS-V4.md §2).</summary>
    internal abstract void Contribute(ref RequestParts parts);

    /// <summary>
    /// Refuses the request's headers (<paramref name="headers"/>, as <see cref="Contribute"/> and the caller's
    /// <see cref="Headers"/> made them) unless each can be sent (<see cref="HttpHeaderRules"/>) and is given once: a URL
    /// signed for a header given twice could never be used, as the signature would cover both values joined and
    /// <see cref="PresignResult.SignedHeaders"/> could hold only one.
    /// </summary>
    /// <exception cref="ArgumentException">A header name or value cannot be sent, or a header is given twice; the message says where it was given.</exception>
    internal void ThrowIfHeadersCannotBeSent(ReadOnlySpan<KeyValuePair<string, string>> headers)
    {
        for (var i = 0; i < headers.Length; i++)
        {
            var (name, value) = headers[i];
            if (HttpHeaderRules.Problem(name, value, where: null) is not null)
            {
                var source = SourceOfHeader(i);
                throw new ArgumentException(HttpHeaderRules.Problem(name, value, source.Where), source.Property);
            }

            for (var j = 0; j < i; j++)
            {
                if (headers[j].Key.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    var first = SourceOfHeader(j);
                    var second = SourceOfHeader(i);
                    throw new ArgumentException(
                        $"Header '{headers[j].Key}' is given twice, by {first.Where} and by {second.Where} (header names ignore case): " +
                        "give it in one place.",
                        second.Property);
                }
            }
        }
    }

    /// <summary>
    /// Where the request's header number <paramref name="index"/> came from. Found by contributing the headers again
    /// with their sources recorded: only a refused request needs to know, so a presign does not record them.
    /// </summary>
    private HeaderSource SourceOfHeader(int index)
    {
        var sources = new List<HeaderSource>();
        var traced = new RequestParts { HeaderSources = sources };
        try
        {
            Contribute(ref traced);
            traced.Extra(Headers, Parameters);
            return sources[index];
        }
        finally
        {
            traced.Dispose();
        }
    }
}

/// <summary>The property a header was given by, and its key there when the property is a dictionary.</summary>
/// <param name="Property">The property, e.g. <c>ContentType</c> or <c>Metadata</c>.</param>
/// <param name="Key">The key in <see cref="Property"/>, or null.</param>
internal readonly record struct HeaderSource(string Property, string? Key)
{
    /// <summary>How the caller wrote it, e.g. <c>ContentType</c> or <c>Metadata["title"]</c>.</summary>
    public string Where => Key is null ? Property : $"{Property}[\"{Key}\"]";
}

/// <summary>
/// The headers and query parameters of a request being presigned, in the order they were added, in pooled buffers:
/// a presign allocates none of its intermediate lists. Dispose returns the buffers.
/// </summary>
internal struct RequestParts
{
    public PooledPairList Headers;

    public PooledPairList Parameters;

    /// <summary>
    /// Where each header came from, in the order of <see cref="Headers"/>, when not null: recorded only to say where a
    /// refused header was given (<see cref="OssObjectRequest.ThrowIfHeadersCannotBeSent"/>).
    /// </summary>
    public List<HeaderSource>? HeaderSources;

    // The property is the argument's expression (Header("Content-Type", ContentType) gives "ContentType"): a constant
    // the compiler passes, which costs a presign nothing.
    public void Header(string name, string? value, [CallerArgumentExpression(nameof(value))] string property = "")
    {
        if (value is not null)
        {
            Headers.Add(name, value);
            HeaderSources?.Add(new(property, Key: null));
        }
    }

    public void Header(string name, long? value, [CallerArgumentExpression(nameof(value))] string property = "") =>
        Header(name, value?.ToString(CultureInfo.InvariantCulture), property);

    public void Header(string name, bool? value, [CallerArgumentExpression(nameof(value))] string property = "") =>
        Header(name, value is null ? null : value.Value ? "true" : "false", property);

    public void Header(string name, DateTimeOffset? value, [CallerArgumentExpression(nameof(value))] string property = "") =>
        Header(name, value?.UtcDateTime.ToString("R", CultureInfo.InvariantCulture), property);

    public void Parameter(string name, string? value)
    {
        if (value is not null)
        {
            Parameters.Add(name, value);
        }
    }

    /// <summary>Adds user metadata as <c>x-oss-meta-*</c> headers, prefixing the names that lack it.</summary>
    public void Metadata(IDictionary<string, string> metadata) =>
        AddAll(ref Headers, metadata, "x-oss-meta-", HeaderSources, nameof(OssObjectWriteRequest.Metadata));

    /// <summary>Adds the caller's own headers and parameters after the operation's.</summary>
    public void Extra(IDictionary<string, string> headers, IDictionary<string, string> parameters)
    {
        AddAll(ref Headers, headers, prefix: null, HeaderSources, nameof(OssObjectRequest.Headers));
        AddAll(ref Parameters, parameters, prefix: null, sources: null, property: null);
    }

    public void Dispose()
    {
        Headers.Dispose();
        Parameters.Dispose();
    }

    private static void AddAll(
        ref PooledPairList list, IDictionary<string, string> pairs, string? prefix, List<HeaderSource>? sources, string? property)
    {
        if (pairs.Count == 0)
        {
            return;
        }

        // The properties default to Dictionary: enumerate it as such, since the interface boxes the enumerator.
        if (pairs is Dictionary<string, string> dictionary)
        {
            foreach (var (name, value) in dictionary)
            {
                Add(ref list, name, value, prefix, sources, property);
            }
        }
        else
        {
            foreach (var (name, value) in pairs)
            {
                Add(ref list, name, value, prefix, sources, property);
            }
        }

        static void Add(ref PooledPairList list, string name, string? value, string? prefix, List<HeaderSource>? sources, string? property)
        {
            if (prefix is null)
            {
                list.Add(name, value ?? string.Empty);
            }
            else if (value is not null)
            {
                list.Add(name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? name : prefix + name, value);
            }
            else
            {
                // A null metadata value is left out of the request, so it has no header whose source to record.
                return;
            }

            sources?.Add(new(property!, name));
        }
    }
}

/// <summary>Properties shared by the two requests that create an object: PutObject and InitiateMultipartUpload.</summary>
public abstract class OssObjectWriteRequest : OssObjectRequest
{
    private protected OssObjectWriteRequest()
    {
    }

    /// <summary>Content-Type, signed: the uploader must send exactly this value.</summary>
    public string? ContentType { get; init; }

    /// <summary>
    /// Cache-Control stored with the object. Not signed by default, so the URL does not make the uploader send it; list
    /// <c>cache-control</c> in <see cref="OssClientOptions.AdditionalHeaders"/> to sign and require it.
    /// </summary>
    public string? CacheControl { get; init; }

    /// <summary>
    /// Content-Disposition stored with the object. Not signed by default, so the URL does not make the uploader send it; list
    /// <c>content-disposition</c> in <see cref="OssClientOptions.AdditionalHeaders"/> to sign and require it.
    /// </summary>
    public string? ContentDisposition { get; init; }

    /// <summary>
    /// Content-Encoding stored with the object. Not signed by default, so the URL does not make the uploader send it; list
    /// <c>content-encoding</c> in <see cref="OssClientOptions.AdditionalHeaders"/> to sign and require it.
    /// </summary>
    public string? ContentEncoding { get; init; }

    /// <summary>
    /// Expires stored with the object (an HTTP date). Not signed by default, so the URL does not make the uploader send it; list
    /// <c>expires</c> in <see cref="OssClientOptions.AdditionalHeaders"/> to sign and require it.
    /// </summary>
    public string? Expires { get; init; }

    /// <summary><c>x-oss-forbid-overwrite</c>: refuse to replace an existing object.</summary>
    public bool? ForbidOverwrite { get; init; }

    /// <summary><c>x-oss-object-acl</c>: private, public-read, public-read-write or default.</summary>
    public string? ObjectAcl { get; init; }

    /// <summary><c>x-oss-storage-class</c>: Standard, IA, Archive, ColdArchive, DeepColdArchive.</summary>
    public string? StorageClass { get; init; }

    /// <summary><c>x-oss-server-side-encryption</c>: AES256, KMS or SM4.</summary>
    public string? ServerSideEncryption { get; init; }

    /// <summary><c>x-oss-server-side-data-encryption</c>.</summary>
    public string? ServerSideDataEncryption { get; init; }

    /// <summary><c>x-oss-server-side-encryption-key-id</c>.</summary>
    public string? ServerSideEncryptionKeyId { get; init; }

    /// <summary>User metadata, sent as <c>x-oss-meta-NAME</c> headers and signed.</summary>
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>x-oss-tagging</c>: URL-encoded <c>k1=v1&amp;k2=v2</c>.</summary>
    public string? Tagging { get; init; }

    /// <summary><c>x-oss-request-payer</c>: <c>requester</c> when the requester pays.</summary>
    public string? RequestPayer { get; init; }

    /// <summary>Refuses metadata that OSS would refuse with 400 when the URL is used.</summary>
    private protected override void ValidateOperation()
    {
        ArgumentNullException.ThrowIfNull(Metadata, nameof(Metadata));
        if (Metadata.Count == 0)
        {
            return;
        }

        // As in RequestParts.Metadata: the default Dictionary is enumerated as such, not boxed through the interface.
        var total = 0;
        if (Metadata is Dictionary<string, string> dictionary)
        {
            foreach (var (name, value) in dictionary)
            {
                total += Bytes(name, value);
            }
        }
        else
        {
            foreach (var (name, value) in Metadata)
            {
                total += Bytes(name, value);
            }
        }

        if (total >= OssNames.MaxMetadataBytes)
        {
            throw new ArgumentException(
                $"The metadata is {total} bytes (names with their x-oss-meta- prefix, and values); OSS accepts under {OssNames.MaxMetadataBytes}.",
                nameof(Metadata));
        }

        // A null value is left out of the request (RequestParts.Metadata), so it counts nothing.
        static int Bytes(string name, string? value) => OssNames.IsValidMetadataName(name)
            ? value is null ? 0 : OssNames.MetadataBytes(name, value)
            : throw new ArgumentException(
                $"Metadata name '{name}' is not valid: OSS accepts letters, digits and '-' after x-oss-meta- (it answers 400 InvalidArgument to others, such as '_').",
                nameof(Metadata));
    }

    internal override void Contribute(ref RequestParts parts)
    {
        parts.Header("Cache-Control", CacheControl);
        parts.Header("Content-Disposition", ContentDisposition);
        parts.Header("Content-Encoding", ContentEncoding);
        parts.Header("Content-Type", ContentType);
        parts.Header("Expires", Expires);
        parts.Header("x-oss-forbid-overwrite", ForbidOverwrite);
        parts.Header("x-oss-server-side-encryption", ServerSideEncryption);
        parts.Header("x-oss-server-side-data-encryption", ServerSideDataEncryption);
        parts.Header("x-oss-server-side-encryption-key-id", ServerSideEncryptionKeyId);
        parts.Header("x-oss-object-acl", ObjectAcl);
        parts.Header("x-oss-storage-class", StorageClass);
        parts.Metadata(Metadata);

        parts.Header("x-oss-tagging", Tagging);
        parts.Header("x-oss-request-payer", RequestPayer);
    }
}
