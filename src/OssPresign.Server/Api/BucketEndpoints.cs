using System.Globalization;
using System.Text;
using System.Xml;
using OssPresign.Server.Auth;
using OssPresign.Server.Storage;
using OssPresign.Signing;

namespace OssPresign.Server.Api;

/// <summary>ListBuckets, PutBucket, DeleteBucket, ListObjects and ListObjectsV2.</summary>
internal static class BucketEndpoints
{
    private const int DefaultMaxKeys = 100;
    private const int MaxMaxKeys = 1000;

    /// <summary>ListBuckets (GetService): <c>prefix</c>, <c>marker</c>, <c>max-keys</c>.</summary>
    public static IResult ListBuckets(HttpContext context, OssRequestTarget target, ObjectStore store, ServerSettings settings)
    {
        if (!TryReadMaxKeys(target, out var maxKeys, out var error))
        {
            return error!;
        }

        var prefix = target.GetQuery("prefix") ?? string.Empty;
        var marker = target.GetQuery("marker") ?? string.Empty;
        var buckets = store.ListBuckets(prefix, marker);
        var truncated = buckets.Count > maxKeys;
        var page = buckets.Take(maxKeys).ToList();
        var host = context.Request.Host.Value ?? string.Empty;
        return new XmlResult(w =>
        {
            w.WriteStartElement("ListAllMyBucketsResult");
            // No bucket name holds a character XML cannot carry, so a prefix or marker with one matches nothing and
            // is echoed lossily rather than failing the answer.
            w.WriteElementString("Prefix", OssError.XmlSafe(prefix));
            w.WriteElementString("Marker", OssError.XmlSafe(marker));
            w.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("IsTruncated", truncated ? "true" : "false");
            if (truncated)
            {
                w.WriteElementString("NextMarker", page[^1].Name);
            }

            WriteOwner(w);
            w.WriteStartElement("Buckets");
            foreach (var bucket in page)
            {
                w.WriteStartElement("Bucket");
                w.WriteElementString("CreationDate", OssError.FormatTime(bucket.CreatedOn));
                w.WriteElementString("ExtranetEndpoint", host);
                w.WriteElementString("IntranetEndpoint", host);
                w.WriteElementString("Location", "oss-" + bucket.Region);
                w.WriteElementString("Name", bucket.Name);
                w.WriteElementString("Region", bucket.Region);
                w.WriteElementString("StorageClass", "Standard");
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    /// <summary>PutBucket: creates the bucket in the service's region, with no CORS rules.</summary>
    public static async Task<IResult> PutBucketAsync(HttpContext context, string bucket, ObjectStore store, ServerSettings settings)
    {
        // A CreateBucketConfiguration body (storage class, redundancy) has no meaning here; read it so the connection stays usable.
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
        if (!store.EnsureBucket(bucket, settings.Region, [], replaceCors: false))
        {
            return new OssError(409, OssErrorCodes.BucketAlreadyExists, "The requested bucket name is not available.", ServerEc.BucketAlreadyExists)
            {
                Details = [new("BucketName", bucket)],
            };
        }

        context.Response.Headers.Location = "/" + bucket;
        return Results.Ok();
    }

    /// <summary>DeleteBucket: only an empty bucket.</summary>
    public static IResult DeleteBucket(BucketInfo bucket, ObjectStore store) => store.DeleteBucket(bucket.Name) switch
    {
        null => Results.NoContent(),
        OssErrorCodes.BucketNotEmpty => new OssError(409, OssErrorCodes.BucketNotEmpty, "The bucket you tried to delete is not empty: delete its objects, and complete or abort its multipart uploads in progress (ListMultipartUploads lists them).", ServerEc.BucketNotEmpty)
        {
            Details = [new("BucketName", bucket.Name)],
        },
        _ => OssError.NoSuchBucket(bucket.Name),
    };

    /// <summary>
    /// ListObjects (<paramref name="version"/> 1: <c>marker</c>) and ListObjectsV2 (2: <c>continuation-token</c>,
    /// <c>start-after</c>): <c>prefix</c>, <c>delimiter</c>, <c>max-keys</c>, <c>encoding-type=url</c>.
    /// </summary>
    public static IResult ListObjects(OssRequestTarget target, BucketInfo bucket, ObjectStore store, int version)
    {
        if (!TryReadMaxKeys(target, out var maxKeys, out var error))
        {
            return error!;
        }

        var prefix = target.GetQuery("prefix") ?? string.Empty;
        var delimiter = target.GetQuery("delimiter") ?? string.Empty;
        if (ReadEncodingType(target, out var encode) is { } encodingError)
        {
            return encodingError;
        }

        var marker = version == 1 ? target.GetQuery("marker") ?? string.Empty : null;
        var startAfter = version == 2 ? target.GetQuery("start-after") : null;
        var token = version == 2 ? target.GetQuery("continuation-token") : null;
        string? after;
        bool afterIsCommonPrefix;
        if (token is not null)
        {
            if (!TryDecodeToken(token, out after, out afterIsCommonPrefix))
            {
                return OssError.InvalidArgument("The continuation-token is not valid; pass NextContinuationToken as returned.",
                    ServerEc.InvalidArgument, "continuation-token", token);
            }
        }
        else
        {
            after = version == 1 ? (marker!.Length == 0 ? null : marker) : startAfter;
            afterIsCommonPrefix = after is not null && ObjectStore.IsCommonPrefix(after, prefix, delimiter);
        }

        var page = store.ListObjects(bucket.Name, prefix, delimiter, after, afterIsCommonPrefix, maxKeys);
        string Text(string value) => encode ? OssUriEncoding.EncodeQueryComponent(value) : value;

        // The answer echoes the parameters too: one XML cannot carry is refused like such a key (it was a 500).
        if (!encode && (!IsXmlText(prefix + delimiter + marker + startAfter) || page.Entries.Any(e => !IsXmlText(e.Key))))
        {
            return KeysNeedEncoding();
        }

        return new XmlResult(w =>
        {
            w.WriteStartElement("ListBucketResult");
            w.WriteElementString("Name", bucket.Name);
            w.WriteElementString("Prefix", Text(prefix));
            if (version == 1)
            {
                w.WriteElementString("Marker", Text(marker!));
            }
            else
            {
                if (token is not null)
                {
                    w.WriteElementString("ContinuationToken", token);
                }

                if (startAfter is not null)
                {
                    w.WriteElementString("StartAfter", Text(startAfter));
                }
            }

            w.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("Delimiter", Text(delimiter));
            if (encode)
            {
                w.WriteElementString("EncodingType", "url");
            }

            w.WriteElementString("IsTruncated", page.IsTruncated ? "true" : "false");
            if (page.IsTruncated)
            {
                var last = page.Entries[^1];
                if (version == 1)
                {
                    w.WriteElementString("NextMarker", Text(last.Key));
                }
                else
                {
                    w.WriteElementString("NextContinuationToken", EncodeToken(last.Key, last.IsCommonPrefix));
                }
            }

            if (version == 2)
            {
                w.WriteElementString("KeyCount", page.Entries.Count.ToString(CultureInfo.InvariantCulture));
            }

            foreach (var entry in page.Entries.Where(e => !e.IsCommonPrefix))
            {
                var o = entry.Object!;
                w.WriteStartElement("Contents");
                w.WriteElementString("Key", Text(o.Key));
                w.WriteElementString("LastModified", OssError.FormatTime(o.LastModified));
                w.WriteElementString("ETag", o.ETag);
                w.WriteElementString("Type", o.ObjectType);
                w.WriteElementString("Size", o.Size.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("StorageClass", "Standard");
                if (version == 1 || target.GetQuery("fetch-owner") == "true")
                {
                    WriteOwner(w);
                }

                w.WriteEndElement();
            }

            foreach (var entry in page.Entries.Where(e => e.IsCommonPrefix))
            {
                w.WriteStartElement("CommonPrefixes");
                w.WriteElementString("Prefix", Text(entry.Key));
                w.WriteEndElement();
            }

            w.WriteEndElement();
        });
    }

    private static bool TryReadMaxKeys(OssRequestTarget target, out int maxKeys, out OssError? error)
    {
        error = ReadInteger(target, "max-keys", DefaultMaxKeys, 1, MaxMaxKeys, out maxKeys);
        return error is null;
    }

    /// <summary>Reads an integer query parameter, <paramref name="defaultValue"/> when it is absent.</summary>
    /// <returns>Null, or the error for a value that is not an integer from <paramref name="min"/> to <paramref name="max"/>.</returns>
    internal static OssError? ReadInteger(OssRequestTarget target, string name, int defaultValue, int min, int max, out int value)
    {
        var text = target.GetQuery(name);
        if (text is null)
        {
            value = defaultValue;
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max
            ? null
            : OssError.InvalidArgument($"{name} must be an integer from {min} to {max}.", ServerEc.InvalidArgument, name, text);
    }

    /// <summary>Reads <c>encoding-type</c>: absent, or <c>url</c> to URL-encode keys and prefixes in the response.</summary>
    /// <returns>Null, or the error for another value.</returns>
    internal static OssError? ReadEncodingType(OssRequestTarget target, out bool encode)
    {
        var encodingType = target.GetQuery("encoding-type");
        encode = encodingType == "url";
        return encodingType is null || encode
            ? null
            : OssError.InvalidArgument("encoding-type must be 'url'.", ServerEc.InvalidArgument, "encoding-type", encodingType);
    }

    /// <summary>Whether XML can carry <paramref name="value"/> as text.</summary>
    internal static bool IsXmlText(string value) => !value.Any(c => !XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c));

    /// <summary>The error for a response that would hold a key XML cannot carry, unless it is URL-encoded.</summary>
    internal static OssError KeysNeedEncoding() =>
        OssError.InvalidArgument("Some keys hold characters XML cannot carry; ask with encoding-type=url.", ServerEc.InvalidArgument, "encoding-type", string.Empty);

    private static void WriteOwner(XmlWriter w)
    {
        // One account on a local server; OSS shows the owner's uid here.
        w.WriteStartElement("Owner");
        w.WriteElementString("ID", "local");
        w.WriteElementString("DisplayName", "local");
        w.WriteEndElement();
    }

    /// <summary>The token is opaque to clients: where the page ended, and whether that was a common prefix.</summary>
    private static string EncodeToken(string after, bool isCommonPrefix) =>
        Base64UrlEncode(Encoding.UTF8.GetBytes((isCommonPrefix ? "p" : "k") + after));

    private static bool TryDecodeToken(string token, out string? after, out bool isCommonPrefix)
    {
        after = null;
        isCommonPrefix = false;
        try
        {
            var text = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token));
            if (text.Length < 2 || text[0] is not ('k' or 'p'))
            {
                return false;
            }

            isCommonPrefix = text[0] == 'p';
            after = text[1..];
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Base64UrlEncode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
