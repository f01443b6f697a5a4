using System.Globalization;
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

    /// <summary>Checks the operation's own properties; called before anything is signed.</summary>
    internal virtual void Validate()
    {
    }

    /// <summary>Adds the operation's own headers and parameters (OSS-V4.md §2).</summary>
    internal abstract void Contribute(ref RequestParts parts);
}

/// <summary>
/// The headers and query parameters of a request being presigned, in the order they were added, in pooled buffers:
/// a presign allocates none of its intermediate lists. Dispose returns the buffers.
/// </summary>
internal struct RequestParts
{
    public PooledPairList Headers;

    public PooledPairList Parameters;

    public void Header(string name, string? value)
    {
        if (value is not null)
        {
            Headers.Add(name, value);
        }
    }

    public void Header(string name, long? value) => Header(name, value?.ToString(CultureInfo.InvariantCulture));

    public void Header(string name, bool? value) => Header(name, value is null ? null : value.Value ? "true" : "false");

    public void Header(string name, DateTimeOffset? value) => Header(name, value?.UtcDateTime.ToString("R", CultureInfo.InvariantCulture));

    public void Parameter(string name, string? value)
    {
        if (value is not null)
        {
            Parameters.Add(name, value);
        }
    }

    /// <summary>Adds user metadata as <c>x-oss-meta-*</c> headers, prefixing the names that lack it.</summary>
    public void Metadata(IDictionary<string, string> metadata) => AddAll(ref Headers, metadata, "x-oss-meta-");

    /// <summary>Adds the caller's own headers and parameters after the operation's.</summary>
    public void Extra(IDictionary<string, string> headers, IDictionary<string, string> parameters)
    {
        AddAll(ref Headers, headers, prefix: null);
        AddAll(ref Parameters, parameters, prefix: null);
    }

    public void Dispose()
    {
        Headers.Dispose();
        Parameters.Dispose();
    }

    private static void AddAll(ref PooledPairList list, IDictionary<string, string> pairs, string? prefix)
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
                Add(ref list, name, value, prefix);
            }
        }
        else
        {
            foreach (var (name, value) in pairs)
            {
                Add(ref list, name, value, prefix);
            }
        }

        static void Add(ref PooledPairList list, string name, string? value, string? prefix)
        {
            if (prefix is null)
            {
                list.Add(name, value ?? string.Empty);
            }
            else if (value is not null)
            {
                list.Add(name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? name : prefix + name, value);
            }
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
    internal override void Validate()
    {
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
