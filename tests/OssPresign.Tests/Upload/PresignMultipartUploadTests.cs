using Microsoft.Extensions.Time.Testing;
using OssPresign.Upload;
using static OssPresign.Tests.Signing.KnownAnswerVectors;

namespace OssPresign.Tests.Upload;

/// <summary><see cref="OssClient.PresignMultipartUploadAsync"/>: one URL per part, OSS's part rules checked before signing.</summary>
public sealed class PresignMultipartUploadTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1702781677);

    private static OssClient Client(FakeTimeProvider? time = null) => new(new OssClientOptions
    {
        Region = "cn-hangzhou",
        CredentialsProvider = new StaticCredentialsProvider("ak", "sk"),
        TimeProvider = time ?? new FakeTimeProvider(Now),
    });

    [Fact]
    public async Task Presign_OneUrlPerPartInOrder_ThenCompleteAndAbort_AllExpiringTogether()
    {
        var upload = await Client().PresignMultipartUploadAsync("examplebucket", "big.iso", "U1", objectSize: (2 * 1024 * 1024) + 1, partSize: 1024 * 1024,
            new PresignOptions { Expires = TimeSpan.FromHours(2) });

        Assert.Equal(3, upload.Parts.Count);
        for (var i = 0; i < upload.Parts.Count; i++)
        {
            var query = QueryOf(upload.Parts[i].Url);
            Assert.Equal("PUT", upload.Parts[i].Method);
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), query["partNumber"]);
            Assert.Equal("U1", query["uploadId"]);
            Assert.Equal("7200", query["x-oss-expires"]);
        }

        Assert.Equal("POST", upload.Complete.Method);
        Assert.Equal("U1", QueryOf(upload.Complete.Url)["uploadId"]);
        Assert.Equal("DELETE", upload.Abort.Method);
        Assert.All(upload.Parts.Append(upload.Complete).Append(upload.Abort), p => Assert.Equal(Now.AddHours(2), p.Expiration));
        Assert.Equal((upload.Bucket, upload.Key, upload.UploadId, upload.ObjectSize, upload.PartSize), ("examplebucket", "big.iso", "U1", (2L * 1024 * 1024) + 1, 1024L * 1024));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(102_400, 1)]
    [InlineData(102_401, 2)]
    public void PartCount_IsAtLeastOne_AndCountsTheLastShortPart(long objectSize, int parts) =>
        Assert.Equal(parts, PresignedMultipartUpload.PartCount(objectSize, 102_400));

    [Theory]
    [InlineData(102_399)]
    [InlineData(5L * 1024 * 1024 * 1024 + 1)]
    public async Task Presign_PartSizeOutside100KBTo5GiB_Throws(long partSize)
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client().PresignMultipartUploadAsync("examplebucket", "k", "U1", 10_000_000, partSize).AsTask());
        Assert.Contains("100 KB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_MoreThan10000Parts_ThrowsNamingTheLeastPartSize()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Client().PresignMultipartUploadAsync("examplebucket", "k", "U1", 1_024_000_001, 102_400).AsTask());
        Assert.Contains("are 10001 parts, and OSS allows 10000: use parts of at least 102401 bytes.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PresignedMultipartUpload.MaxObjectSize + 1)]
    [InlineData(60_000_000_000_000)]
    [InlineData(long.MaxValue - 10)]
    [InlineData(long.MaxValue)]
    public async Task Presign_MoreThanTheLargestObject_SaysThatIsTheLimit(long objectSize)
    {
        // long.MaxValue - 10 once wrapped the part count negative, past the 10,000-parts check, into an OverflowException.
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => Client().PresignMultipartUploadAsync("examplebucket", "k", "U1", objectSize, PresignedMultipartUpload.MaxPartSize).AsTask());

        Assert.Equal("objectSize", error.ParamName);
        Assert.StartsWith(
            "An object is at most 53687091200000 bytes, the largest OSS stores (10000 parts of 5 GiB, the most one multipart upload holds).",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presign_TheLargestObject_Is10000PartsOf5GiB()
    {
        var upload = await Client().PresignMultipartUploadAsync("examplebucket", "k", "U1", PresignedMultipartUpload.MaxObjectSize, PresignedMultipartUpload.MaxPartSize);

        Assert.Equal(PresignedMultipartUpload.MaxParts, upload.Parts.Count);
    }

    [Fact]
    public void PartCountAndLeastPartSize_OfHugeSizes_DoNotOverflow()
    {
        Assert.Equal(int.MaxValue, PresignedMultipartUpload.PartCount(long.MaxValue - 10, PresignedMultipartUpload.MinPartSize));
        Assert.Equal(1_717_986_919, PresignedMultipartUpload.PartCount(long.MaxValue - 10, PresignedMultipartUpload.MaxPartSize));
        Assert.Equal(922_337_203_685_478, PresignedMultipartUpload.LeastPartSize(long.MaxValue));
    }

    [Fact]
    public async Task UploadParts_OfAFolder_IsAnArgumentExceptionSayingSo_NotFileNotFound()
    {
        var upload = await Client().PresignMultipartUploadAsync("examplebucket", "k", "U1", 10, 102_400);
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => new PresignedUploader(http).UploadPartsAsync(upload, Path.GetTempPath()));

        Assert.Contains("is a folder, not a file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadParts_WithAPartSizeOfZero_IsAnArgumentException_NotADivisionByZero()
    {
        var upload = await Client().PresignMultipartUploadAsync("examplebucket", "k", "U1", 10, 102_400) with { PartSize = 0 };
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, new byte[10]);
            using var http = new HttpClient();

            var error = await Assert.ThrowsAsync<ArgumentException>(() => new PresignedUploader(http).UploadPartsAsync(upload, path));

            Assert.Contains("no part size", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("examplebucket", "k", "")]
    [InlineData("examplebucket", "/k", "U1")]
    [InlineData("Bad_Bucket", "k", "U1")]
    public async Task Presign_InvalidNameOrUploadId_Throws(string bucket, string key, string uploadId) =>
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Client().PresignMultipartUploadAsync(bucket, key, uploadId, 1).AsTask());
}
