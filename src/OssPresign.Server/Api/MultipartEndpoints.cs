using System.Globalization;
using System.Xml;
using OssPresign.Server.Auth;
using OssPresign.Server.Storage;
using OssPresign.Signing;

namespace OssPresign.Server.Api;

/// <summary>
/// InitiateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts and
/// ListMultipartUploads, with OSS's request and response shapes.
/// </summary>
internal static class MultipartEndpoints
{
    private const int MaxListed = 1000;

    /// <summary>
    /// The largest CompleteMultipartUpload body read: a list of all 10,000 parts with quoted ETags and some whitespace
    /// is ~1 MB. A body beyond this is refused, not buffered.
    /// </summary>
    private const int MaxCompleteBodyBytes = 2 * 1024 * 1024;

    /// <summary>InitiateMultipartUpload: the upload keeps the object's headers until it is completed.</summary>
    public static IResult Initiate(HttpContext context, OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        if (BucketEndpoints.ReadEncodingType(target, out var encode) is { } encodingError)
        {
            return encodingError;
        }

        var key = target.Key!;
        if (ObjectEndpoints.ForbidsOverwrite(context.Request) && store.GetObject(bucket.Name, key) is not null)
        {
            return ObjectEndpoints.FileAlreadyExists();
        }

        if (ObjectEndpoints.ReadObjectHeaders(context.Request, out var headers) is { } metadataError)
        {
            return metadataError;
        }

        if (!encode && !BucketEndpoints.IsXmlText(key))
        {
            return BucketEndpoints.KeysNeedEncoding();
        }

        var upload = store.InitiateMultipartUpload(bucket.Name, key, headers);
        if (upload is null)
        {
            return OssError.NoSuchBucket(bucket.Name);
        }

        return new XmlResult(w =>
        {
            w.WriteStartElement("InitiateMultipartUploadResult");
            WriteEncodingType(w, encode);
            w.WriteElementString("Bucket", bucket.Name);
            w.WriteElementString("Key", Text(key, encode));
            w.WriteElementString("UploadId", upload.UploadId);
            w.WriteEndElement();
        });
    }

    /// <summary>UploadPart: <c>partNumber</c> 1-10,000 and <c>uploadId</c>; the body is stored like a PutObject's.</summary>
    public static async Task<IResult> UploadPartAsync(HttpContext context, OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        var request = context.Request;
        var partNumberText = target.GetQuery("partNumber");
        if (!int.TryParse(partNumberText, NumberStyles.None, CultureInfo.InvariantCulture, out var partNumber) || partNumber is < 1 or > ObjectStore.MaxPartNumber)
        {
            return OssError.InvalidArgument($"Part number must be an integer between 1 and {ObjectStore.MaxPartNumber}, inclusive.",
                ServerEc.InvalidArgument, "partNumber", partNumberText ?? string.Empty);
        }

        if (request.ContentLength > ObjectStore.MaxObjectSize)
        {
            return ObjectEndpoints.EntityTooLarge();
        }

        if (ObjectEndpoints.ReadContentMd5(request, out var expectedMd5) is { } digestError)
        {
            return digestError;
        }

        if (FindUpload(target, bucket, store) is not { } upload)
        {
            return NoSuchUpload(target);
        }

        PartOutcome outcome;
        try
        {
            await using var body = new ObjectEndpoints.ClientBodyStream(context);
            outcome = await store.UploadPartAsync(upload, partNumber, body, expectedMd5, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            return ObjectEndpoints.BodyNotReceived(e);
        }

        switch (outcome.Status)
        {
            case MultipartStatus.Done:
                var part = outcome.Part!;
                context.Response.Headers.ETag = part.ETag;
                context.Response.Headers["x-oss-hash-crc64ecma"] = part.Crc64.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers.ContentMD5 = Convert.ToBase64String(outcome.ComputedMd5!);
                return Results.Ok();
            case MultipartStatus.BadDigest:
                return ObjectEndpoints.BadDigest(expectedMd5!, outcome.ComputedMd5!);
            case MultipartStatus.EntityTooLarge:
                return ObjectEndpoints.EntityTooLarge();
            default:
                return NoSuchUpload(target);
        }
    }

    /// <summary>
    /// CompleteMultipartUpload: the parts listed in the XML body (or all of them with <c>x-oss-complete-all: yes</c>
    /// and no body) become the object.
    /// </summary>
    public static async Task<IResult> CompleteAsync(HttpContext context, OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        var request = context.Request;
        if (BucketEndpoints.ReadEncodingType(target, out var encode) is { } encodingError)
        {
            return encodingError;
        }

        if (FindUpload(target, bucket, store) is not { } upload)
        {
            return NoSuchUpload(target);
        }

        if (!encode && !BucketEndpoints.IsXmlText(upload.Key))
        {
            return BucketEndpoints.KeysNeedEncoding();
        }

        byte[]? body = null;
        try
        {
            if (!(request.ContentLength > MaxCompleteBodyBytes))
            {
                await using var client = new ObjectEndpoints.ClientBodyStream(context);
                body = await ReadBoundedAsync(client, MaxCompleteBodyBytes, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (BadHttpRequestException e)
        {
            return ObjectEndpoints.BodyNotReceived(e);
        }

        if (body is null)
        {
            return MalformedXml($"The part list is larger than {MaxCompleteBodyBytes} bytes.");
        }

        IReadOnlyList<(int PartNumber, string ETag)>? requested = null;
        var completeAll = request.Headers["x-oss-complete-all"].ToString();
        if (completeAll.Length > 0)
        {
            if (completeAll != "yes")
            {
                return OssError.InvalidArgument("x-oss-complete-all must be 'yes' when it is given.", ServerEc.InvalidArgument, "x-oss-complete-all", completeAll);
            }

            if (body.Length > 0)
            {
                // OSS: with x-oss-complete-all: yes the body must not be specified.
                return OssError.InvalidArgument("With x-oss-complete-all: yes, send no part list in the body.", ServerEc.InvalidArgument,
                    "x-oss-complete-all", completeAll);
            }
        }
        else if (ParsePartList(body, out var parts) is { } parseError)
        {
            return MalformedXml(parseError);
        }
        else
        {
            requested = parts;
        }

        var outcome = await store.CompleteMultipartUploadAsync(upload, requested, ObjectEndpoints.ForbidsOverwrite(request)).ConfigureAwait(false);
        var failedPart = outcome.FailedPartNumber?.ToString(CultureInfo.InvariantCulture);
        switch (outcome.Status)
        {
            case MultipartStatus.Done:
                var stored = outcome.Object!;
                // In the body and, as OSS does (ali-oss reads it from there), in the header.
                context.Response.Headers.ETag = stored.ETag;
                context.Response.Headers["x-oss-hash-crc64ecma"] = stored.Crc64.ToString(CultureInfo.InvariantCulture);
                var location = Location(context, target);
                return new XmlResult(w =>
                {
                    w.WriteStartElement("CompleteMultipartUploadResult");
                    WriteEncodingType(w, encode);
                    w.WriteElementString("Location", location);
                    w.WriteElementString("Bucket", bucket.Name);
                    w.WriteElementString("Key", Text(stored.Key, encode));
                    w.WriteElementString("ETag", stored.ETag);
                    w.WriteEndElement();
                });
            case MultipartStatus.InvalidPartOrder:
                return new OssError(400, OssErrorCodes.InvalidPartOrder,
                    "The list of parts was not in ascending order. Parts must be listed in ascending order by part number.", ServerEc.InvalidPartOrder)
                {
                    Details = failedPart is null ? [] : [new("PartNumber", failedPart)],
                };
            case MultipartStatus.InvalidPart:
                return new OssError(400, OssErrorCodes.InvalidPart,
                    failedPart is null
                        ? "No part was uploaded, or a part was uploaded again while the upload was being completed; list the parts and complete again."
                        : $"Part {failedPart} was not uploaded, or not with the ETag given; list the parts (ListParts) for the ETags to send.",
                    ServerEc.InvalidPart)
                {
                    Details = failedPart is null ? [] : [new("PartNumber", failedPart)],
                };
            case MultipartStatus.EntityTooSmall:
                return new OssError(400, OssErrorCodes.EntityTooSmall,
                    $"Part {failedPart} is smaller than {ObjectStore.MinPartSize} bytes; every part but the last must be at least 100 KB.",
                    ServerEc.EntityTooSmall)
                {
                    Details = [new("PartNumber", failedPart!), new("MinSizeAllowed", ObjectStore.MinPartSize.ToString(CultureInfo.InvariantCulture))],
                };
            case MultipartStatus.FileAlreadyExists:
                return ObjectEndpoints.FileAlreadyExists();
            default:
                return NoSuchUpload(target);
        }
    }

    /// <summary>AbortMultipartUpload: 204, and the parts are gone.</summary>
    public static IResult Abort(OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        if (FindUpload(target, bucket, store) is not { } upload)
        {
            return NoSuchUpload(target);
        }

        return store.AbortMultipartUpload(upload) ? Results.NoContent() : NoSuchUpload(target);
    }

    /// <summary>ListParts: <c>max-parts</c> (1-1000, default 1000) and <c>part-number-marker</c>.</summary>
    public static IResult ListParts(OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        if (BucketEndpoints.ReadEncodingType(target, out var encode) is { } encodingError)
        {
            return encodingError;
        }

        if (BucketEndpoints.ReadInteger(target, "max-parts", MaxListed, 1, MaxListed, out var maxParts) is { } maxError)
        {
            return maxError;
        }

        if (BucketEndpoints.ReadInteger(target, "part-number-marker", 0, 0, ObjectStore.MaxPartNumber, out var marker) is { } markerError)
        {
            return markerError;
        }

        if (FindUpload(target, bucket, store) is not { } upload)
        {
            return NoSuchUpload(target);
        }

        if (!encode && !BucketEndpoints.IsXmlText(upload.Key))
        {
            return BucketEndpoints.KeysNeedEncoding();
        }

        var parts = store.ListParts(upload.UploadId, marker, maxParts + 1);
        var truncated = parts.Count > maxParts;
        var page = parts.Take(maxParts).ToList();
        return new XmlResult(w =>
        {
            w.WriteStartElement("ListPartsResult");
            WriteEncodingType(w, encode);
            w.WriteElementString("Bucket", bucket.Name);
            w.WriteElementString("Key", Text(upload.Key, encode));
            w.WriteElementString("UploadId", upload.UploadId);
            w.WriteElementString("PartNumberMarker", marker.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("NextPartNumberMarker", (page.Count > 0 ? page[^1].PartNumber : marker).ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("StorageClass", "Standard");
            w.WriteElementString("MaxParts", maxParts.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("IsTruncated", truncated ? "true" : "false");
            foreach (var part in page)
            {
                w.WriteStartElement("Part");
                w.WriteElementString("PartNumber", part.PartNumber.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("LastModified", OssError.FormatTime(part.LastModified));
                w.WriteElementString("ETag", part.ETag);
                w.WriteElementString("HashCrc64ecma", part.Crc64.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("Size", part.Size.ToString(CultureInfo.InvariantCulture));
                w.WriteEndElement();
            }

            w.WriteEndElement();
        });
    }

    /// <summary>
    /// ListMultipartUploads: <c>prefix</c>, <c>delimiter</c>, <c>key-marker</c>, <c>upload-id-marker</c>,
    /// <c>max-uploads</c> (1-1000, default 1000), <c>encoding-type=url</c>.
    /// </summary>
    public static IResult ListUploads(OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        if (BucketEndpoints.ReadEncodingType(target, out var encode) is { } encodingError)
        {
            return encodingError;
        }

        if (BucketEndpoints.ReadInteger(target, "max-uploads", MaxListed, 1, MaxListed, out var maxUploads) is { } maxError)
        {
            return maxError;
        }

        var prefix = target.GetQuery("prefix") ?? string.Empty;
        var delimiter = target.GetQuery("delimiter") ?? string.Empty;
        var keyMarker = target.GetQuery("key-marker") ?? string.Empty;
        var uploadIdMarker = target.GetQuery("upload-id-marker") ?? string.Empty;
        var (entries, truncated) = store.ListMultipartUploads(bucket.Name, prefix, delimiter, keyMarker, uploadIdMarker, maxUploads);
        if (!encode && (entries.Any(e => !BucketEndpoints.IsXmlText(e.Key)) || !BucketEndpoints.IsXmlText(prefix + delimiter + keyMarker)))
        {
            return BucketEndpoints.KeysNeedEncoding();
        }

        var last = entries.Count > 0 ? entries[^1] : null;
        return new XmlResult(w =>
        {
            w.WriteStartElement("ListMultipartUploadsResult");
            WriteEncodingType(w, encode);
            w.WriteElementString("Bucket", bucket.Name);
            w.WriteElementString("KeyMarker", Text(keyMarker, encode));
            w.WriteElementString("UploadIdMarker", OssError.XmlSafe(uploadIdMarker));
            w.WriteElementString("NextKeyMarker", truncated && last is not null ? Text(last.Key, encode) : string.Empty);
            w.WriteElementString("NextUploadIdMarker", truncated && last?.Upload is not null ? last.Upload.UploadId : string.Empty);
            w.WriteElementString("Delimiter", Text(delimiter, encode));
            w.WriteElementString("Prefix", Text(prefix, encode));
            w.WriteElementString("MaxUploads", maxUploads.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("IsTruncated", truncated ? "true" : "false");
            foreach (var entry in entries.Where(e => e.Upload is not null))
            {
                w.WriteStartElement("Upload");
                w.WriteElementString("Key", Text(entry.Key, encode));
                w.WriteElementString("UploadId", entry.Upload!.UploadId);
                w.WriteElementString("StorageClass", "Standard");
                w.WriteElementString("Initiated", OssError.FormatTime(entry.Upload.Initiated));
                w.WriteEndElement();
            }

            foreach (var entry in entries.Where(e => e.Upload is null))
            {
                w.WriteStartElement("CommonPrefixes");
                w.WriteElementString("Prefix", Text(entry.Key, encode));
                w.WriteEndElement();
            }

            w.WriteEndElement();
        });
    }

    /// <summary>
    /// Parses <c>&lt;CompleteMultipartUpload&gt;&lt;Part&gt;&lt;PartNumber/&gt;&lt;ETag/&gt;&lt;/Part&gt;...</c>. Elements
    /// OSS may add to a part (checksums) are skipped; a part without a number or ETag, or no part at all, is malformed.
    /// </summary>
    /// <returns>Null, or what is wrong with the XML.</returns>
    internal static string? ParsePartList(byte[] body, out List<(int PartNumber, string ETag)> parts)
    {
        parts = [];
        var settings = new XmlReaderSettings
        {
            // No DTDs (entity expansion) and no external resources: the body is the client's.
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreWhitespace = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body, writable: false), settings);
            reader.MoveToContent();
            if (reader.LocalName != "CompleteMultipartUpload")
            {
                return $"The root element is <{reader.LocalName}>; it must be <CompleteMultipartUpload>.";
            }

            if (reader.IsEmptyElement)
            {
                return "<CompleteMultipartUpload> lists no <Part>.";
            }

            reader.ReadStartElement();
            while (reader.NodeType == XmlNodeType.Element)
            {
                if (reader.LocalName != "Part")
                {
                    return $"<CompleteMultipartUpload> may hold only <Part> elements, not <{reader.LocalName}>.";
                }

                if (ReadPart(reader) is not { } part)
                {
                    return "Every <Part> needs a <PartNumber> (an integer) and an <ETag>.";
                }

                parts.Add(part);
            }

            if (parts.Count == 0)
            {
                return "<CompleteMultipartUpload> lists no <Part>.";
            }

            return null;
        }
        catch (XmlException e)
        {
            return $"The part list is not well-formed XML: {e.Message}";
        }
    }

    private static (int PartNumber, string ETag)? ReadPart(XmlReader reader)
    {
        int? number = null;
        string? etag = null;
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return null;
        }

        reader.ReadStartElement("Part");
        while (reader.NodeType == XmlNodeType.Element)
        {
            switch (reader.LocalName)
            {
                case "PartNumber":
                    var text = reader.ReadElementContentAsString();
                    number = int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
                    break;
                case "ETag":
                    etag = reader.ReadElementContentAsString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        reader.ReadEndElement();
        return number is > 0 && etag is not null ? (number.Value, etag) : null;
    }

    /// <summary>Reads a whole body of at most <paramref name="limit"/> bytes.</summary>
    /// <returns>The body, or null when it is longer.</returns>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The upload named by <c>uploadId</c>, which must be of this bucket and key; null when there is none.</summary>
    private static MultipartUpload? FindUpload(OssRequestTarget target, BucketInfo bucket, ObjectStore store)
    {
        var uploadId = target.GetQuery("uploadId") ?? string.Empty;
        return uploadId.Length == 0 ? null : store.GetMultipartUpload(bucket.Name, target.Key!, uploadId);
    }

    private static OssError NoSuchUpload(OssRequestTarget target) =>
        new(404, OssErrorCodes.NoSuchUpload,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", ServerEc.NoSuchUpload)
        {
            Details = [new("UploadId", OssError.XmlSafe(target.GetQuery("uploadId") ?? string.Empty))],
        };

    private static OssError MalformedXml(string why) =>
        new(400, OssErrorCodes.MalformedXml, $"The XML you provided was not well-formed or did not validate against our published schema: {why}",
            ServerEc.MalformedXml);

    /// <summary>
    /// The object's URL: the request's own scheme and host, and the path of its addressing style (path-style or
    /// virtual-hosted, as it came) with the key encoded as clients send it. Not the raw path: Kestrel lets a raw control
    /// byte through there, which XML cannot carry, and the answer, written after the commit, was a 500.
    /// </summary>
    private static string Location(HttpContext context, OssRequestTarget target)
    {
        var path = (target.VirtualHosted ? "/" : $"/{target.Bucket}/") + OssUriEncoding.EncodePath(target.Key!);
        return $"{context.Request.Scheme}://{context.Request.Host}{path}";
    }

    private static void WriteEncodingType(XmlWriter w, bool encode)
    {
        if (encode)
        {
            w.WriteElementString("EncodingType", "url");
        }
    }

    private static string Text(string value, bool encode) => encode ? OssUriEncoding.EncodeQueryComponent(value) : value;
}
