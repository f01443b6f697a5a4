namespace OssPresign.Server.Storage;

/// <summary>The headers an object keeps from its PutObject and returns on GET and HEAD.</summary>
/// <param name="ContentType">Content-Type, or null for the default <c>application/octet-stream</c>.</param>
/// <param name="ContentDisposition">Content-Disposition, or null.</param>
/// <param name="ContentEncoding">Content-Encoding, or null.</param>
/// <param name="CacheControl">Cache-Control, or null.</param>
/// <param name="Expires">Expires, as sent, or null.</param>
/// <param name="Metadata">The <c>x-oss-meta-*</c> headers, names lower-cased, prefix included.</param>
internal sealed record ObjectHeaders(
    string? ContentType,
    string? ContentDisposition,
    string? ContentEncoding,
    string? CacheControl,
    string? Expires,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>A committed object: where its body is and what it is.</summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="Key">The key.</param>
/// <param name="BodyId">The generated name of the body file, or the generated id of a body kept in the row; never derived from the key.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="EntityTag">
/// The ETag without quotes: the body's MD5 in upper-case hex; for an object made by CompleteMultipartUpload, the MD5 of
/// its parts' MD5s, a dash and the number of parts (<see cref="ObjectStore.MultipartEntityTag"/>).
/// </param>
/// <param name="Crc64">The CRC-64/XZ of the body (<c>x-oss-hash-crc64ecma</c>).</param>
/// <param name="LastModified">When it was committed, whole seconds.</param>
/// <param name="Headers">The stored headers.</param>
internal sealed record StoredObject(
    string Bucket,
    string Key,
    string BodyId,
    long Size,
    string EntityTag,
    ulong Crc64,
    DateTimeOffset LastModified,
    ObjectHeaders Headers)
{
    /// <summary>The ETag as OSS returns it: quoted upper-case hex MD5 (OSS-V4.md §7).</summary>
    public string ETag => $"\"{EntityTag}\"";

    /// <summary>Whether CompleteMultipartUpload made it: its ETag is not the MD5 of its body.</summary>
    public bool IsMultipart => EntityTag.Contains('-', StringComparison.Ordinal);

    /// <summary>OSS's object type, in <c>x-oss-object-type</c> and listings: <c>Multipart</c> or <c>Normal</c>.</summary>
    public string ObjectType => IsMultipart ? "Multipart" : "Normal";
}

/// <summary>What became of a PutObject.</summary>
internal enum PutStatus
{
    /// <summary>Committed and visible.</summary>
    Created,

    /// <summary>The bucket does not exist (or was deleted while the body arrived).</summary>
    NoSuchBucket,

    /// <summary>The body does not match Content-MD5.</summary>
    BadDigest,

    /// <summary><c>x-oss-forbid-overwrite: true</c> and the key exists.</summary>
    FileAlreadyExists,

    /// <summary>The body is larger than 5 GiB.</summary>
    EntityTooLarge,
}

/// <summary>The result of a PutObject: a status and, when created, the object.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Object">The committed object, when <see cref="PutStatus.Created"/>.</param>
/// <param name="ComputedMd5">The MD5 of the body as received, when it was read whole.</param>
internal sealed record PutOutcome(PutStatus Status, StoredObject? Object = null, byte[]? ComputedMd5 = null);

/// <summary>One entry of a listing: an object, or a common prefix when a delimiter groups keys.</summary>
/// <param name="Key">The object key, or the common prefix.</param>
/// <param name="IsCommonPrefix">Whether this is a common prefix.</param>
/// <param name="Object">The object, when not a common prefix.</param>
internal sealed record ListEntry(string Key, bool IsCommonPrefix, StoredObject? Object);

/// <summary>One page of a listing.</summary>
/// <param name="Entries">Objects and common prefixes, in key order.</param>
/// <param name="IsTruncated">Whether more entries follow.</param>
internal sealed record ListPage(IReadOnlyList<ListEntry> Entries, bool IsTruncated);
