using System.Globalization;
using System.Runtime.CompilerServices;
using OssPresign.Endpoints;
using OssPresign.Signing;
using OssPresign.Upload;

namespace OssPresign;

/// <summary>
/// Presigns OSS object operations with Signature V4. Immutable and thread-safe: create one and share it.
/// </summary>
public sealed class OssClient
{
    private readonly string _region;
    private readonly string _product;
    private readonly string[] _additionalHeaders;
    private readonly ICredentialsProvider _credentials;
    private readonly TimeProvider _time;

    private ScopeOfDay? _lastScope;
    private SigningTimeText? _lastTimeText;

    /// <summary>Creates a client from a snapshot of <paramref name="options"/>.</summary>
    /// <param name="options">Region, endpoint, credentials and clock.</param>
    /// <exception cref="ArgumentNullException">The options, or their credentials provider, clock or product, are null.</exception>
    /// <exception cref="ArgumentException">The region, endpoint or product is not valid.</exception>
    public OssClient(OssClientOptions options)
    {
        OssClientOptions.ThrowIfInvalid(options);
        _region = OssEndpoint.NormalizeRegion(options.Region);
        Endpoint = OssEndpoint.Resolve(options);
        _product = options.Product;
        _additionalHeaders = [.. options.AdditionalHeaders ?? []];
        _credentials = options.CredentialsProvider;
        _time = options.TimeProvider;
    }

    /// <summary>The resolved endpoint and addressing style.</summary>
    public OssEndpoint Endpoint { get; }

    /// <summary>The region in the signature scope (without <c>oss-</c>).</summary>
    public string Region => _region;

    /// <summary>
    /// Presigns an operation: returns a URL that anyone can use, without credentials, until it expires, as long as
    /// the request carries exactly <see cref="PresignResult.SignedHeaders"/>.
    /// </summary>
    /// <param name="request">The operation: <see cref="PutObjectRequest"/>, <see cref="GetObjectRequest"/>, ...</param>
    /// <param name="options">The validity; default 15 minutes.</param>
    /// <param name="cancellationToken">Cancels the credentials lookup.</param>
    /// <returns>Method, URL, expiration and the headers the request must send.</returns>
    /// <exception cref="ArgumentNullException">The request's <c>Headers</c>, <c>Parameters</c> or <c>Metadata</c> was set to null.</exception>
    /// <exception cref="ArgumentException">
    /// The bucket, key or metadata is not valid (<see cref="OssNames"/>); or a header cannot be sent (a name that is not an
    /// HTTP token, a value with a control character such as CR or LF, or with a non-ASCII character), or is given twice
    /// (e.g. <c>ContentType</c> and <c>Headers["Content-Type"]</c>). The message names the header and where it was given.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">The validity is under one second or exceeds 604800 s (seven days).</exception>
    public async ValueTask<PresignResult> PresignAsync(OssObjectRequest request, PresignOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        OssNames.ThrowIfInvalid(request.Bucket, request.Key);

        // Go SDK behaviour (OSS-V4.md §1.13): both instants in whole seconds, then subtract.
        var now = TruncateToSeconds(_time.GetUtcNow());
        var expiration = ResolveExpiration(now, options);
        request.Validate();
        if (request.Parameters.Count > 0)
        {
            foreach (var parameter in request.Parameters)
            {
                if (PresignedQuery.IsAuthParameter(parameter.Key))
                {
                    throw new ArgumentException(
                        $"Parameter '{parameter.Key}' is set by the signer; remove it from Parameters.", nameof(request));
                }
            }
        }

        var credentials = await _credentials.GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        return Presign(request, credentials, now, expiration);
    }

    /// <summary>
    /// Presigns every step of a multipart upload that has been initiated (the upload id from InitiateMultipartUpload,
    /// e.g. through <see cref="PresignedUploader.InitiateMultipartUploadAsync"/>): one UploadPart URL per part of an
    /// object of <paramref name="objectSize"/> bytes, CompleteMultipartUpload and AbortMultipartUpload, all valid until
    /// the same instant. Whoever holds the result uploads with <see cref="PresignedUploader.UploadPartsAsync"/>.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key, as initiated.</param>
    /// <param name="uploadId">The upload id.</param>
    /// <param name="objectSize">The size of the file to upload, in bytes.</param>
    /// <param name="partSize">The size of every part but the last: 100 KB to 5 GiB, and large enough for at most 10,000 parts.</param>
    /// <param name="options">The validity; default 15 minutes. Give an upload of a large file the time it needs.</param>
    /// <param name="cancellationToken">Cancels the credentials lookup.</param>
    /// <returns>The presigned upload.</returns>
    /// <exception cref="ArgumentException">The bucket, key or upload id is not valid, or the parts would be more than 10,000.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The size is negative or over <see cref="PresignedMultipartUpload.MaxObjectSize"/> (OSS's largest object), the part
    /// size is out of range, or the validity exceeds seven days.
    /// </exception>
    public async ValueTask<PresignedMultipartUpload> PresignMultipartUploadAsync(
        string bucket, string key, string uploadId, long objectSize, long partSize = PresignedMultipartUpload.DefaultPartSize,
        PresignOptions? options = null, CancellationToken cancellationToken = default)
    {
        OssNames.ThrowIfInvalid(bucket, key);
        ArgumentException.ThrowIfNullOrWhiteSpace(uploadId);
        ArgumentOutOfRangeException.ThrowIfNegative(objectSize);
        if (objectSize > PresignedMultipartUpload.MaxObjectSize)
        {
            throw new ArgumentOutOfRangeException(nameof(objectSize), objectSize,
                $"An object is at most {PresignedMultipartUpload.MaxObjectSize} bytes, the largest OSS stores " +
                $"({PresignedMultipartUpload.MaxParts} parts of 5 GiB, the most one multipart upload holds).");
        }

        if (partSize is < PresignedMultipartUpload.MinPartSize or > PresignedMultipartUpload.MaxPartSize)
        {
            throw new ArgumentOutOfRangeException(nameof(partSize), partSize,
                $"A part is {PresignedMultipartUpload.MinPartSize} bytes (100 KB) to {PresignedMultipartUpload.MaxPartSize} bytes (5 GiB): " +
                "OSS refuses larger parts, and smaller ones but the last.");
        }

        var count = PresignedMultipartUpload.PartCount(objectSize, partSize);
        if (count > PresignedMultipartUpload.MaxParts)
        {
            throw new ArgumentException(
                $"{objectSize} bytes in parts of {partSize} bytes are {count} parts, and OSS allows {PresignedMultipartUpload.MaxParts}: " +
                $"use parts of at least {PresignedMultipartUpload.LeastPartSize(objectSize)} bytes.",
                nameof(partSize));
        }

        // One signing time and one expiry for every URL, so that no part's URL runs out before the others.
        var now = TruncateToSeconds(_time.GetUtcNow());
        var expiration = ResolveExpiration(now, options);
        var credentials = await _credentials.GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        var parts = new PresignResult[count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = Presign(new UploadPartRequest { Bucket = bucket, Key = key, UploadId = uploadId, PartNumber = i + 1 }, credentials, now, expiration);
        }

        return new PresignedMultipartUpload(
            bucket,
            key,
            uploadId,
            objectSize,
            partSize,
            parts,
            Presign(new CompleteMultipartUploadRequest { Bucket = bucket, Key = key, UploadId = uploadId }, credentials, now, expiration),
            Presign(new AbortMultipartUploadRequest { Bucket = bucket, Key = key, UploadId = uploadId }, credentials, now, expiration));
    }

    private PresignResult Presign(OssObjectRequest request, OssCredentials? credentials, DateTimeOffset now, DateTimeOffset expiration)
    {
        var parts = default(RequestParts);
        var signedHeaders = default(PooledPairList);
        try
        {
            request.Contribute(ref parts);
            parts.Extra(request.Headers, request.Parameters);
            request.ThrowIfHeadersCannotBeSent(parts.Headers.Items);
            if (credentials is null)
            {
                // Anonymous: an unsigned URL for a public bucket; nothing is signed, so nothing is required.
                var unsignedUrl = BuildUnsignedUrl(request.Bucket, request.Key, parts.Parameters.Items);
                return new PresignResult(request.Method, unsignedUrl, expiration, SignedHeaderDictionary.Empty);
            }

            var additional = ResolveAdditionalHeaders(parts.Headers.Items);
            var credential = GetCredentialScope(credentials.AccessKeyId, now);
            var timeText = GetSigningTimeText(now, (long)(expiration - now).TotalSeconds);
            PresignedQuery.AddParameters(
                ref parts.Parameters, additional.Count > 0 ? string.Join(';', additional) : null, credential, timeText.SigningTime,
                timeText.ExpiresSeconds, credentials.SecurityToken, signature: null);
            CanonicalRequest.SelectSignedHeaders(parts.Headers.Items, additional, ref signedHeaders);
            var url = SignAndBuildUrl(request, parts.Parameters.Items, signedHeaders.Items, additional, now, credential, credentials.AccessKeySecret);
            return new PresignResult(request.Method, url, expiration, SelectResultHeaders(parts.Headers.Items, additional));
        }
        finally
        {
            parts.Dispose();
            signedHeaders.Dispose();
        }
    }

    /// <summary>
    /// Writes the canonical request, signs it, and builds the URL from its pieces: the canonical query holds every
    /// parameter already encoded, so the URL copies each pair from it instead of encoding the query a second time.
    /// </summary>
    /// <remarks>
    /// The URL keeps the parameters in the order they were added (the operation's, the caller's, then the auth block),
    /// with the signature just before <c>x-oss-signature-version</c>, which gives the auth block Go's order (sorted by
    /// name) as OSS-V4.md §6.3 shows. The canonical query sorts them (§1.6).
    /// </remarks>
    [SkipLocalsInit]
    private string SignAndBuildUrl(
        OssObjectRequest request, Span<KeyValuePair<string, string>> parameters, ReadOnlySpan<KeyValuePair<string, string>> signedHeaders,
        IReadOnlyList<string> additional, DateTimeOffset now, CredentialScope credential, string accessKeySecret)
    {
        const int StackPairs = 32;
        var sortedOrder = (parameters.Length <= StackPairs ? stackalloc int[StackPairs] : new int[parameters.Length])[..parameters.Length];
        var pairsInCanonical = (parameters.Length <= StackPairs ? stackalloc Range[StackPairs] : new Range[parameters.Length])[..parameters.Length];
        CanonicalRequest.EncodeNamesAndSortOrder(parameters, sortedOrder);

        var canonical = new PooledCharBuilder(stackalloc char[OssV4Signer.CanonicalRequestStackChars]);
        var url = new PooledCharBuilder(stackalloc char[UrlStackChars]);
        try
        {
            var keyStart = CanonicalFields.WriteMethodAndUri(ref canonical, request.Method, request.Bucket, request.Key);
            var keyRange = new Range(keyStart, canonical.Length - 1);
            for (var i = 0; i < sortedOrder.Length; i++)
            {
                if (i > 0)
                {
                    canonical.Append('&');
                }

                var index = sortedOrder[i];
                var pairStart = canonical.Length;
                CanonicalFields.AppendParameter(ref canonical, parameters[index].Key, parameters[index].Value);
                pairsInCanonical[index] = new Range(pairStart, canonical.Length);
            }

            CanonicalFields.WriteAfterQuery(ref canonical, signedHeaders, additional, OssV4.UnsignedPayload);
            Span<char> signature = stackalloc char[OssV4Signer.SignatureLength];
            OssV4Signer.WriteSignature(canonical.Written, now, credential, accessKeySecret, signature);

            var written = canonical.Written;
            Endpoint.AppendObjectUrlPrefix(ref url, request.Bucket);
            url.Append(written[keyRange]);
            for (var i = 0; i < parameters.Length; i++)
            {
                if (string.Equals(parameters[i].Key, PresignedQuery.SignatureVersionParameter, StringComparison.Ordinal))
                {
                    url.Append('&');
                    url.Append(PresignedQuery.SignatureParameter);
                    url.Append('=');
                    url.Append(signature);
                }

                url.Append(i == 0 ? '?' : '&');
                url.Append(written[pairsInCanonical[i]]);
            }

            return url.ToString();
        }
        finally
        {
            canonical.Dispose();
            url.Dispose();
        }
    }

    private const int UrlStackChars = 1024;

    private IReadOnlyList<string> ResolveAdditionalHeaders(ReadOnlySpan<KeyValuePair<string, string>> headers)
    {
        if (_additionalHeaders.Length == 0)
        {
            return [];
        }

        // The predicate cannot see the pooled span, so it gets a list of the names; only when additional headers are configured.
        var present = new List<string>(headers.Length);
        foreach (var (name, value) in headers)
        {
            if (value.Length > 0)
            {
                present.Add(name);
            }
        }

        return CanonicalRequest.ResolveAdditionalHeaders(
            _additionalHeaders, name => present.Exists(h => h.Equals(name, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// The headers the caller must send, with the names as given: the default signed set and the additional headers.
    /// Each name is there once: a request that gives a header twice is refused before signing.
    /// </summary>
    private static SignedHeaderDictionary SelectResultHeaders(
        ReadOnlySpan<KeyValuePair<string, string>> headers, IReadOnlyList<string> additional)
    {
        var selected = default(PooledPairList);
        try
        {
            foreach (var (name, value) in headers)
            {
                if (CanonicalRequest.IsSigned(name, additional))
                {
                    selected.Add(name, value);
                }
            }

            return selected.Count == 0 ? SignedHeaderDictionary.Empty : new SignedHeaderDictionary(selected.Items.ToArray());
        }
        finally
        {
            selected.Dispose();
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static DateTimeOffset ResolveExpiration(DateTimeOffset now, PresignOptions? options)
    {
        // Whole seconds, as x-oss-expires carries them: the signing time is already truncated to a second.
        long seconds;
        if (options?.Expiration is { } absolute)
        {
            if (absolute <= now)
            {
                throw new ArgumentOutOfRangeException(nameof(options),
                    $"Expiration {absolute:O} is not after the signing time {now:O}; choose a time in the future.");
            }

            seconds = (absolute - now).Ticks / TimeSpan.TicksPerSecond;
            if (seconds == 0)
            {
                // The signing time is truncated to its second, so printing both instants would read as a contradiction.
                throw new ArgumentOutOfRangeException(nameof(options),
                    $"Expiration {absolute:O} would make the URL valid for less than one second, and OSS counts validity in " +
                    "whole seconds: choose a later Expiration.");
            }
        }
        else
        {
            var expires = options?.Expires ?? OssV4.DefaultExpires;
            if (expires < TimeSpan.FromSeconds(1))
            {
                throw new ArgumentOutOfRangeException(nameof(options), $"Expires must be at least 1 second; it is {expires}.");
            }

            seconds = expires.Ticks / TimeSpan.TicksPerSecond;
        }

        // Checked before the expiry is computed: now + TimeSpan.MaxValue is not a date.
        if (seconds > OssV4.MaxExpiresSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(options),
                $"A presigned URL is valid for at most {OssV4.MaxExpiresSeconds} seconds (seven days); " +
                $"the requested validity is {seconds} seconds.");
        }

        return now.AddSeconds(seconds);
    }

    /// <summary>The URL of an anonymous request: the parameters in order, encoded; no signature.</summary>
    private string BuildUnsignedUrl(string bucket, string key, ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        var builder = new PooledCharBuilder(512);
        try
        {
            Endpoint.AppendObjectUrl(ref builder, bucket, key);
            var separator = '?';
            foreach (var (name, value) in parameters)
            {
                builder.Append(separator);
                separator = '&';

                // Written as in the canonical query: a key-only parameter bare ("uploads"), as the C# SDK does.
                CanonicalFields.AppendParameter(ref builder, OssUriEncoding.EncodeQueryComponent(name), value);
            }

            return builder.ToString();
        }
        finally
        {
            builder.Dispose();
        }
    }

    private CredentialScope GetCredentialScope(string accessKeyId, DateTimeOffset now)
    {
        // One scope per key and UTC day: reuse the last one rather than format the same credential on every presign.
        var day = now.UtcTicks / TimeSpan.TicksPerDay;
        var last = _lastScope;
        if (last is not null && last.Day == day && string.Equals(last.Scope.AccessKeyId, accessKeyId, StringComparison.Ordinal))
        {
            return last.Scope;
        }

        var scope = new CredentialScope(accessKeyId, OssV4.FormatDate(now), _region, _product);
        _lastScope = new ScopeOfDay(scope, day);
        return scope;
    }

    private sealed record ScopeOfDay(CredentialScope Scope, long Day);

    private SigningTimeText GetSigningTimeText(DateTimeOffset now, long expiresSeconds)
    {
        // A client presigning under load signs many URLs in one second with one validity: reuse the last text.
        var last = _lastTimeText;
        if (last is not null && last.Now == now && last.Seconds == expiresSeconds)
        {
            return last;
        }

        var text = new SigningTimeText(now, expiresSeconds, OssV4.FormatDateTime(now), expiresSeconds.ToString(CultureInfo.InvariantCulture));
        _lastTimeText = text;
        return text;
    }

    /// <summary>The values of <c>x-oss-date</c> and <c>x-oss-expires</c> for a signing time and validity.</summary>
    private sealed record SigningTimeText(DateTimeOffset Now, long Seconds, string SigningTime, string ExpiresSeconds);
}
