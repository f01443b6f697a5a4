using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace OssPresign.Server.Storage;

/// <summary>
/// Multipart uploads: InitiateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts and
/// ListMultipartUploads, with OSS's rules (part numbers 1-10,000; every part but the last at least 100 KB).
/// </summary>
/// <remarks>
/// An upload is a row of <c>uploads</c> holding the headers of its InitiateMultipartUpload. A part is received exactly
/// as a PutObject body (streamed to <c>tmp/</c>, hashed, fsynced, renamed into <c>objects/</c> under a fresh id) and
/// then named by a row of <c>parts</c>; uploading a part number again replaces it. Completing copies the chosen parts,
/// in order, into one new body (CRC-64 computed on the way), fsyncs it and then, in one transaction, writes the
/// object's row and deletes the upload's rows; the part files are deleted after that commit. So a crash leaves either
/// the upload with its parts or the object, never a half-assembled object, and the start-up clean-up deletes any body
/// that neither an object nor a part names.
/// </remarks>
internal sealed partial class ObjectStore
{
    /// <summary>The highest part number OSS accepts.</summary>
    public const int MaxPartNumber = 10_000;

    /// <summary>The least size of every part of a completed upload but the last: 100 KB, as OSS checks it.</summary>
    public const long MinPartSize = 100 * 1024;

    // The part rows reference their upload and die with it (the code deletes them first; the key keeps it honest).
    private const string MultipartSchemaSql =
        """
        CREATE TABLE IF NOT EXISTS uploads (
            upload_id           TEXT NOT NULL PRIMARY KEY,
            bucket              TEXT NOT NULL REFERENCES buckets (name),
            key                 TEXT NOT NULL,
            initiated           INTEGER NOT NULL,
            content_type        TEXT,
            content_disposition TEXT,
            content_encoding    TEXT,
            cache_control       TEXT,
            expires             TEXT,
            metadata            TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
        CREATE TABLE IF NOT EXISTS parts (
            upload_id     TEXT NOT NULL REFERENCES uploads (upload_id),
            part_number   INTEGER NOT NULL,
            body_id       TEXT NOT NULL UNIQUE,
            size          INTEGER NOT NULL,
            md5           TEXT NOT NULL,
            crc64         TEXT NOT NULL,
            last_modified INTEGER NOT NULL,
            PRIMARY KEY (upload_id, part_number)
        ) WITHOUT ROWID;
        """;

    private const string UploadColumns =
        "upload_id, bucket, key, initiated, content_type, content_disposition, content_encoding, cache_control, expires, metadata";

    private const string PartColumns = "part_number, body_id, size, md5, crc64, last_modified";

    /// <summary>Starts a multipart upload of <paramref name="key"/> that will get <paramref name="headers"/>.</summary>
    /// <returns>The upload, or null when the bucket does not exist.</returns>
    public MultipartUpload? InitiateMultipartUpload(string bucket, string key, ObjectHeaders headers)
    {
        // Upper-case hex like OSS's ids; time-ordered (a version 7 UUID), so listing by (key, id) lists a key's uploads
        // in the order they were initiated, as OSS does.
        var upload = new MultipartUpload(
            Guid.CreateVersion7(_time.GetUtcNow()).ToString("N").ToUpperInvariant(), bucket, key, _time.GetUtcNow(), headers);
        lock (_commitLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            if (FindBucket(connection, transaction, bucket) is null)
            {
                return null;
            }

            var h = headers;
            Execute(connection, transaction,
                $"INSERT INTO uploads ({UploadColumns}) VALUES ($id, $bucket, $key, $initiated, $type, $disposition, $encoding, $cache, $expires, $meta)",
                ("$id", upload.UploadId), ("$bucket", bucket), ("$key", key), ("$initiated", upload.Initiated.ToUnixTimeMilliseconds()),
                ("$type", h.ContentType), ("$disposition", h.ContentDisposition), ("$encoding", h.ContentEncoding), ("$cache", h.CacheControl),
                ("$expires", h.Expires), ("$meta", SerializeMetadata(h.Metadata)));
            transaction.Commit();
        }

        return upload;
    }

    /// <summary>Finds a multipart upload in progress; an id of another bucket or key is no upload of this one.</summary>
    public MultipartUpload? GetMultipartUpload(string bucket, string key, string uploadId)
    {
        using var connection = Open();
        return FindUpload(connection, null, bucket, key, uploadId);
    }

    /// <summary>
    /// Streams <paramref name="body"/> into part <paramref name="partNumber"/> of <paramref name="upload"/>, replacing
    /// a part of that number.
    /// </summary>
    /// <param name="upload">The upload, as found by <see cref="GetMultipartUpload"/>.</param>
    /// <param name="partNumber">1 to <see cref="MaxPartNumber"/>.</param>
    /// <param name="body">The request body.</param>
    /// <param name="expectedMd5">The decoded Content-MD5, or null.</param>
    /// <param name="cancellationToken">Aborts the upload (client gone).</param>
    /// <returns>The outcome: <see cref="MultipartStatus.Done"/> with the part, or why not.</returns>
    public async Task<PartOutcome> UploadPartAsync(MultipartUpload upload, int partNumber, Stream body, byte[]? expectedMd5, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partNumber, MaxPartNumber);
        var tempPath = NewTempPath();
        var moved = false;

        // A body moved into objects/ that no row names yet: deleted unless its commit succeeds (it may fail, e.g. when
        // the disk fills up after the body fitted; left there, it would hold its space until the next start).
        string? uncommitted = null;
        try
        {
            if (await ReceiveToFileAsync(body, tempPath, cancellationToken).ConfigureAwait(false) is not var (size, md5, crc))
            {
                return new PartOutcome(MultipartStatus.EntityTooLarge);
            }

            if (expectedMd5 is not null && !expectedMd5.AsSpan().SequenceEqual(md5))
            {
                return new PartOutcome(MultipartStatus.BadDigest, ComputedMd5: md5);
            }

            var bodyId = await MoveToBodiesAsync(tempPath).ConfigureAwait(false);
            (moved, uncommitted) = (true, bodyId);
            var part = new StoredPart(partNumber, bodyId, size, Convert.ToHexString(md5), crc, TruncateToSeconds(_time.GetUtcNow()));
            string? replaced;
            lock (_commitLock)
            {
                using var connection = Open();
                using var transaction = connection.BeginTransaction();

                // Aborted or completed while the part arrived: the part has nothing to belong to.
                if (FindUpload(connection, transaction, upload.Bucket, upload.Key, upload.UploadId) is null)
                {
                    return new PartOutcome(MultipartStatus.NoSuchUpload);
                }

                replaced = Scalar(connection, transaction, "SELECT body_id FROM parts WHERE upload_id = $id AND part_number = $number",
                    ("$id", upload.UploadId), ("$number", partNumber)) as string;
                Execute(connection, transaction,
                    $"""
                    INSERT INTO parts (upload_id, {PartColumns}) VALUES ($id, $number, $body, $size, $md5, $crc, $modified)
                    ON CONFLICT (upload_id, part_number) DO UPDATE SET
                        body_id = excluded.body_id, size = excluded.size, md5 = excluded.md5, crc64 = excluded.crc64,
                        last_modified = excluded.last_modified
                    """,
                    ("$id", upload.UploadId), ("$number", partNumber), ("$body", bodyId), ("$size", size), ("$md5", part.Md5Hex),
                    ("$crc", crc.ToString(CultureInfo.InvariantCulture)), ("$modified", part.LastModified.ToUnixTimeMilliseconds()));
                transaction.Commit();
                uncommitted = null;
            }

            if (replaced is not null)
            {
                DeleteBody(replaced);
            }

            return new PartOutcome(MultipartStatus.Done, part, md5);
        }
        finally
        {
            if (!moved)
            {
                TryDelete(tempPath);
            }
            else if (uncommitted is not null)
            {
                DeleteBody(uncommitted);
            }
        }
    }

    /// <summary>
    /// Parts of <paramref name="uploadId"/> numbered above <paramref name="afterPartNumber"/>, in order, at most
    /// <paramref name="limit"/>.
    /// </summary>
    public IReadOnlyList<StoredPart> ListParts(string uploadId, int afterPartNumber, int limit)
    {
        using var connection = Open();
        return ReadParts(connection, null, uploadId, afterPartNumber, limit);
    }

    /// <summary>
    /// Completes <paramref name="upload"/> into an object made of <paramref name="requested"/> (part number and ETag, in
    /// ascending order), or of every part when it is null (<c>x-oss-complete-all: yes</c>). Parts not chosen are
    /// deleted with the upload, as on OSS.
    /// </summary>
    /// <param name="upload">The upload, as found by <see cref="GetMultipartUpload"/>.</param>
    /// <param name="requested">The parts to join, or null for all.</param>
    /// <param name="forbidOverwrite">Refuse when the key exists (<c>x-oss-forbid-overwrite: true</c>).</param>
    /// <returns>The outcome: <see cref="MultipartStatus.Done"/> with the object, or why not and at which part.</returns>
    public async Task<CompleteOutcome> CompleteMultipartUploadAsync(MultipartUpload upload, IReadOnlyList<(int PartNumber, string ETag)>? requested, bool forbidOverwrite)
    {
        var uploaded = ListParts(upload.UploadId, 0, MaxPartNumber);
        if (ChooseParts(uploaded, requested, out var chosen) is { } refused)
        {
            return refused;
        }

        if (forbidOverwrite && GetObject(upload.Bucket, upload.Key) is not null)
        {
            // Refused before the copy; the commit checks again, for a race with another writer.
            return new CompleteOutcome(MultipartStatus.FileAlreadyExists);
        }

        var tempPath = NewTempPath();
        var moved = false;
        string? uncommitted = null; // as in UploadPartAsync
        try
        {
            long size;
            ulong crc;
            try
            {
                (size, crc) = await AssembleAsync(chosen, tempPath).ConfigureAwait(false);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // A part was replaced, or the upload aborted or completed, while this copy ran.
                return GetMultipartUpload(upload.Bucket, upload.Key, upload.UploadId) is null
                    ? new CompleteOutcome(MultipartStatus.NoSuchUpload)
                    : new CompleteOutcome(MultipartStatus.InvalidPart, FailedPartNumber: null);
            }

            var bodyId = await MoveToBodiesAsync(tempPath).ConfigureAwait(false);
            (moved, uncommitted) = (true, bodyId);
            var stored = new StoredObject(upload.Bucket, upload.Key, bodyId, size, MultipartEntityTag(chosen), crc,
                TruncateToSeconds(_time.GetUtcNow()), upload.Headers);
            var (status, partNumber, obsolete) = CommitCompletion(upload, chosen, stored, forbidOverwrite);
            if (status != MultipartStatus.Done)
            {
                return new CompleteOutcome(status, FailedPartNumber: partNumber);
            }

            uncommitted = null;

            foreach (var obsoleteBody in obsolete)
            {
                DeleteBody(obsoleteBody);
            }

            return new CompleteOutcome(MultipartStatus.Done, stored);
        }
        finally
        {
            if (!moved)
            {
                TryDelete(tempPath);
            }
            else if (uncommitted is not null)
            {
                DeleteBody(uncommitted);
            }
        }
    }

    /// <summary>Aborts <paramref name="upload"/>: its rows go in one transaction, then its part files.</summary>
    /// <returns>False when it was no longer in progress.</returns>
    public bool AbortMultipartUpload(MultipartUpload upload)
    {
        IReadOnlyList<StoredPart> parts;
        lock (_commitLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            if (FindUpload(connection, transaction, upload.Bucket, upload.Key, upload.UploadId) is null)
            {
                return false;
            }

            parts = ReadParts(connection, transaction, upload.UploadId, 0, MaxPartNumber);
            DeleteUploadRows(connection, transaction, upload.UploadId);
            transaction.Commit();
        }

        foreach (var part in parts)
        {
            DeleteBody(part.BodyId);
        }

        return true;
    }

    /// <summary>
    /// Lists the uploads in progress of <paramref name="bucket"/> in (key, upload id) order, which is initiation order
    /// for one key, grouping keys by <paramref name="delimiter"/> into common prefixes.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="prefix">Only keys starting with this.</param>
    /// <param name="delimiter">Groups keys by the first occurrence after the prefix; empty for none.</param>
    /// <param name="keyMarker">Only uploads of keys after this, or of this key with an id after <paramref name="uploadIdMarker"/>.</param>
    /// <param name="uploadIdMarker">See <paramref name="keyMarker"/>; empty for none.</param>
    /// <param name="maxUploads">The page size, counting uploads and common prefixes.</param>
    /// <returns>The page: entries, and whether more follow.</returns>
    public (IReadOnlyList<UploadListEntry> Entries, bool IsTruncated) ListMultipartUploads(
        string bucket, string prefix, string delimiter, string keyMarker, string uploadIdMarker, int maxUploads)
    {
        var entries = new List<UploadListEntry>();

        // A key-marker that is a common prefix of this listing (NextKeyMarker after a CommonPrefixes entry) skips every
        // key under it, as ListObjects' marker does; otherwise the next page would start with the same prefix again.
        var skipPrefix = IsCommonPrefix(keyMarker, prefix, delimiter) ? keyMarker : null;
        using var connection = Open();

        // An upload-id-marker only counts together with a key-marker (as on OSS); without one, the marker key itself
        // is skipped whole.
        using var command = Command(connection, null,
            $"SELECT {UploadColumns} FROM uploads WHERE bucket = $bucket AND key >= $prefix " +
            "AND (key > $keyMarker OR (key = $keyMarker AND $uploadIdMarker <> '' AND upload_id > $uploadIdMarker)) ORDER BY key, upload_id",
            ("$bucket", bucket), ("$prefix", prefix), ("$keyMarker", keyMarker), ("$uploadIdMarker", keyMarker.Length == 0 ? string.Empty : uploadIdMarker));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var upload = ReadUpload(reader);
            if (!upload.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                break;
            }

            if (skipPrefix is not null && upload.Key.StartsWith(skipPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var split = delimiter.Length == 0 ? -1 : upload.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
            if (split >= 0)
            {
                skipPrefix = upload.Key[..(split + delimiter.Length)];
                entries.Add(new UploadListEntry(skipPrefix, null));
            }
            else
            {
                entries.Add(new UploadListEntry(upload.Key, upload));
            }

            if (entries.Count > maxUploads)
            {
                // One entry past the page was read only to learn that the listing is truncated.
                entries.RemoveAt(entries.Count - 1);
                return (entries, true);
            }
        }

        return (entries, false);
    }

    /// <summary>
    /// The ETag of an object made of <paramref name="parts"/>: the MD5 of their MD5s (16 bytes each, in order), upper-case
    /// hex, a dash and the number of parts. This is S3's rule; OSS documents only that a multipart object's ETag is not
    /// the MD5 of its body, and its ETags of such objects have this form.
    /// </summary>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms",
        Justification = "MD5 makes the OSS ETag of a multipart object (OSS-V4.md §7), an integrity check, not a security control.")]
    internal static string MultipartEntityTag(IReadOnlyList<StoredPart> parts)
    {
        var md5s = new byte[parts.Count * 16];
        for (var i = 0; i < parts.Count; i++)
        {
            Convert.FromHexString(parts[i].Md5Hex, md5s.AsSpan(i * 16, 16), out _, out _);
        }

        return Convert.ToHexString(MD5.HashData(md5s)) + "-" + parts.Count.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The parts a completion joins, checked in OSS's order: ascending numbers, each uploaded with the ETag given, and
    /// every one but the last at least <see cref="MinPartSize"/>.
    /// </summary>
    /// <returns>Null when the parts may be joined; otherwise why not.</returns>
    private static CompleteOutcome? ChooseParts(
        IReadOnlyList<StoredPart> uploaded, IReadOnlyList<(int PartNumber, string ETag)>? requested, out List<StoredPart> chosen)
    {
        if (requested is null)
        {
            chosen = [.. uploaded];
        }
        else
        {
            chosen = new List<StoredPart>(requested.Count);
            var byNumber = uploaded.ToDictionary(p => p.PartNumber);
            var previous = 0;
            foreach (var (number, etag) in requested)
            {
                if (number <= previous)
                {
                    return new CompleteOutcome(MultipartStatus.InvalidPartOrder, FailedPartNumber: number);
                }

                previous = number;
                if (!byNumber.TryGetValue(number, out var part) || !ETagMatches(etag, part.Md5Hex))
                {
                    return new CompleteOutcome(MultipartStatus.InvalidPart, FailedPartNumber: number);
                }

                chosen.Add(part);
            }
        }

        if (chosen.Count == 0)
        {
            return new CompleteOutcome(MultipartStatus.InvalidPart);
        }

        for (var i = 0; i < chosen.Count - 1; i++)
        {
            if (chosen[i].Size < MinPartSize)
            {
                return new CompleteOutcome(MultipartStatus.EntityTooSmall, FailedPartNumber: chosen[i].PartNumber);
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the ETag a client lists for a part is that part's. The quotes OSS puts around an ETag may be left off;
    /// the hex must be as OSS returned it (upper case): the strict reading, since clients echo the header they got.
    /// </summary>
    private static bool ETagMatches(string sent, string md5Hex)
    {
        var value = sent.AsSpan().Trim();
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        return value.SequenceEqual(md5Hex);
    }

    /// <summary>Copies <paramref name="parts"/> in order into a new file and fsyncs it.</summary>
    /// <returns>Its size and CRC-64, the latter from the parts' CRC-64s (<see cref="Crc64Combine"/>): the copy need not be read.</returns>
    private async Task<(long Size, ulong Crc)> AssembleAsync(IReadOnlyList<StoredPart> parts, string tempPath)
    {
        using var target = File.OpenHandle(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        long size = 0;
        var crc = 0UL; // the CRC-64/XZ of no bytes
        foreach (var part in parts)
        {
            using (var source = File.OpenHandle(BodyPath(part.BodyId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                try
                {
                    FileRangeCopy.Copy(source, target, size, part.Size);
                }
                catch (IOException e)
                {
                    throw new IOException($"Part {part.PartNumber}: {e.Message}", e);
                }
            }

            crc = Crc64Combine.Combine(crc, part.Crc64, part.Size);
            size += part.Size;
        }

        await FlushToDiskAsync(target).ConfigureAwait(false);
        return (size, crc);
    }

    /// <summary>
    /// The completion's transaction: the upload must still be in progress with the chosen parts unchanged; then the
    /// object's row replaces any earlier object of the key and the upload's rows go.
    /// </summary>
    /// <returns>The status, the part that failed it, and the bodies no row names any more (to delete after the commit).</returns>
    private (MultipartStatus Status, int? PartNumber, List<string> Obsolete) CommitCompletion(
        MultipartUpload upload, List<StoredPart> chosen, StoredObject stored, bool forbidOverwrite)
    {
        lock (_commitLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            if (FindUpload(connection, transaction, upload.Bucket, upload.Key, upload.UploadId) is null)
            {
                return (MultipartStatus.NoSuchUpload, null, []);
            }

            var current = ReadParts(connection, transaction, upload.UploadId, 0, MaxPartNumber);
            var currentBodies = current.ToDictionary(p => p.PartNumber, p => p.BodyId);
            foreach (var part in chosen)
            {
                // Uploaded again while the copy ran: the object would not be the parts the client listed.
                if (!currentBodies.TryGetValue(part.PartNumber, out var bodyId) || bodyId != part.BodyId)
                {
                    return (MultipartStatus.InvalidPart, part.PartNumber, []);
                }
            }

            var previous = FindBodyFile(connection, transaction, upload.Bucket, upload.Key);
            if (previous is not null && forbidOverwrite)
            {
                return (MultipartStatus.FileAlreadyExists, null, []);
            }

            Execute(connection, transaction, UpsertObjectSql, [.. UpsertObjectParameters.Zip(UpsertObjectValues(stored))]);

            DeleteUploadRows(connection, transaction, upload.UploadId);
            transaction.Commit();
            var obsolete = current.Select(p => p.BodyId).ToList();
            if (previous is { Length: > 0 })
            {
                obsolete.Add(previous);
            }

            return (MultipartStatus.Done, null, obsolete);
        }
    }

    /// <summary>Reads a body up to its end into <paramref name="tempPath"/> and fsyncs it, hashing it on the way.</summary>
    /// <returns>Size, MD5 and CRC-64; null when the body exceeds <see cref="MaxObjectSize"/>.</returns>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms",
        Justification = "MD5 is the OSS ETag and Content-MD5 checksum (OSS-V4.md §7), an integrity check, not a security control.")]
    private async Task<(long Size, byte[] Md5, ulong Crc)?> ReceiveToFileAsync(Stream body, string tempPath, CancellationToken cancellationToken)
    {
        var first = _firstChunks.Rent();
        var owned = true;
        try
        {
            var filled = await FillAsync(body, first.Memory, cancellationToken).ConfigureAwait(false);
            if (filled == first.Length)
            {
                owned = false; // ReceiveAsync owns it now
                return await ReceiveAsync(body, first, tempPath, cancellationToken).ConfigureAwait(false);
            }

            // The whole body fitted in the first read.
            var whole = first.Memory[..filled];
            using (var file = File.OpenHandle(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(file, whole.Span, 0);
                await FlushToDiskAsync(file).ConfigureAwait(false);
            }

            return (filled, MD5.HashData(whole.Span), Crc64.HashToUInt64(Crc64Xz, whole.Span));
        }
        finally
        {
            if (owned)
            {
                _firstChunks.Return(first);
            }
        }
    }

    private string NewTempPath() => Path.Combine(_tempDirectory, Guid.NewGuid().ToString("N") + ".tmp");

    private static MultipartUpload? FindUpload(SqliteConnection connection, SqliteTransaction? transaction, string bucket, string key, string uploadId)
    {
        using var command = Command(connection, transaction, $"SELECT {UploadColumns} FROM uploads WHERE upload_id = $id AND bucket = $bucket AND key = $key",
            ("$id", uploadId), ("$bucket", bucket), ("$key", key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadUpload(reader) : null;
    }

    private static List<StoredPart> ReadParts(SqliteConnection connection, SqliteTransaction? transaction, string uploadId, int afterPartNumber, int limit)
    {
        using var command = Command(connection, transaction,
            $"SELECT {PartColumns} FROM parts WHERE upload_id = $id AND part_number > $after ORDER BY part_number LIMIT $limit",
            ("$id", uploadId), ("$after", afterPartNumber), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var parts = new List<StoredPart>();
        while (reader.Read())
        {
            parts.Add(new StoredPart(
                reader.GetInt32(0),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.GetString(3),
                ulong.Parse(reader.GetString(4), CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }

        return parts;
    }

    private static void DeleteUploadRows(SqliteConnection connection, SqliteTransaction transaction, string uploadId)
    {
        Execute(connection, transaction, "DELETE FROM parts WHERE upload_id = $id", ("$id", uploadId));
        Execute(connection, transaction, "DELETE FROM uploads WHERE upload_id = $id", ("$id", uploadId));
    }

    private static MultipartUpload ReadUpload(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        new ObjectHeaders(
            NullableString(reader, 4),
            NullableString(reader, 5),
            NullableString(reader, 6),
            NullableString(reader, 7),
            NullableString(reader, 8),
            JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(9), Json) ?? []));
}

/// <summary>A multipart upload in progress.</summary>
/// <param name="UploadId">Its id: 32 upper-case hex characters.</param>
/// <param name="Bucket">The bucket.</param>
/// <param name="Key">The key the completed object will have.</param>
/// <param name="Initiated">When InitiateMultipartUpload ran.</param>
/// <param name="Headers">The headers the completed object will have, from InitiateMultipartUpload.</param>
internal sealed record MultipartUpload(string UploadId, string Bucket, string Key, DateTimeOffset Initiated, ObjectHeaders Headers);

/// <summary>An uploaded part.</summary>
/// <param name="PartNumber">1 to 10,000.</param>
/// <param name="BodyId">The generated name of its body file.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Md5Hex">Its MD5, upper-case hex: its ETag without quotes.</param>
/// <param name="Crc64">Its CRC-64/XZ.</param>
/// <param name="LastModified">When it was uploaded, whole seconds.</param>
internal sealed record StoredPart(int PartNumber, string BodyId, long Size, string Md5Hex, ulong Crc64, DateTimeOffset LastModified)
{
    /// <summary>The ETag as OSS returns it: the quoted upper-case hex MD5.</summary>
    public string ETag => $"\"{Md5Hex}\"";
}

/// <summary>What became of a multipart step.</summary>
internal enum MultipartStatus
{
    /// <summary>Done: the part stored, or the object committed.</summary>
    Done,

    /// <summary>The upload id names no upload in progress of this bucket and key.</summary>
    NoSuchUpload,

    /// <summary>The part's body does not match Content-MD5.</summary>
    BadDigest,

    /// <summary>The part is larger than 5 GiB.</summary>
    EntityTooLarge,

    /// <summary>A listed part was not uploaded, or not with the ETag given.</summary>
    InvalidPart,

    /// <summary>The listed part numbers are not ascending.</summary>
    InvalidPartOrder,

    /// <summary>A part other than the last is smaller than <see cref="ObjectStore.MinPartSize"/>.</summary>
    EntityTooSmall,

    /// <summary><c>x-oss-forbid-overwrite: true</c> and the key exists.</summary>
    FileAlreadyExists,
}

/// <summary>The result of an UploadPart.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Part">The stored part, when done.</param>
/// <param name="ComputedMd5">The MD5 of the body as received, when it was read whole.</param>
internal sealed record PartOutcome(MultipartStatus Status, StoredPart? Part = null, byte[]? ComputedMd5 = null);

/// <summary>The result of a CompleteMultipartUpload.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Object">The committed object, when done.</param>
/// <param name="FailedPartNumber">The part that failed the request, when one did.</param>
internal sealed record CompleteOutcome(MultipartStatus Status, StoredObject? Object = null, int? FailedPartNumber = null);

/// <summary>One entry of ListMultipartUploads: an upload, or a common prefix when a delimiter groups keys.</summary>
/// <param name="Key">The upload's key, or the common prefix.</param>
/// <param name="Upload">The upload; null for a common prefix.</param>
internal sealed record UploadListEntry(string Key, MultipartUpload? Upload);
