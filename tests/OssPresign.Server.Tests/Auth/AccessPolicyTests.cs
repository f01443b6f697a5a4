using System.Net;
using OssPresign.Server.Auth;

namespace OssPresign.Server.Tests.Auth;

public sealed class AccessPolicyTests
{
    private const string UploadsOnly =
        """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/uploads/*"]}]}""";

    [Theory]
    [InlineData("oss:PutObject", "examplebucket/uploads/a.txt", true)]
    [InlineData("oss:PutObject", "examplebucket/uploads/deep/b.txt", true)]
    [InlineData("OSS:putobject", "examplebucket/uploads/a.txt", true)]
    [InlineData("oss:PutObject", "examplebucket/other/a.txt", false)]
    [InlineData("oss:PutObject", "examplebucket/Uploads/a.txt", false)]
    [InlineData("oss:PutObject", "otherbucket/uploads/a.txt", false)]
    [InlineData("oss:GetObject", "examplebucket/uploads/a.txt", false)]
    public void IsAllowed_MatchesActionAndResourceWildcards(string action, string resource, bool expected) =>
        Assert.Equal(expected, AccessPolicy.Parse(UploadsOnly).IsAllowed(action, "cn-hangzhou", resource));

    [Fact]
    public void IsAllowed_DenyWinsOverAllow()
    {
        var policy = AccessPolicy.Parse(
            """
            {"Version":"1","Statement":[
              {"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:examplebucket/*"},
              {"Effect":"Deny","Action":["oss:DeleteObject"],"Resource":["acs:oss:*:*:examplebucket/keep/*"]}]}
            """);

        Assert.True(policy.IsAllowed("oss:DeleteObject", "cn-hangzhou", "examplebucket/tmp/x"));
        Assert.True(policy.IsAllowed("oss:GetObject", "cn-hangzhou", "examplebucket/keep/x"));
        Assert.False(policy.IsAllowed("oss:DeleteObject", "cn-hangzhou", "examplebucket/keep/x"));
    }

    [Fact]
    public void IsAllowed_ChecksTheRegionSegment()
    {
        var policy = AccessPolicy.Parse("""{"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:cn-beijing:*:*"}]}""");

        Assert.True(policy.IsAllowed("oss:GetObject", "cn-beijing", "b/k"));
        Assert.False(policy.IsAllowed("oss:GetObject", "cn-hangzhou", "b/k"));
    }

    [Fact]
    public void IsAllowed_QuestionMarkMatchesOneCharacter()
    {
        var policy = AccessPolicy.Parse("""{"Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/file?.txt"}]}""");

        Assert.True(policy.IsAllowed("oss:GetObject", "cn-hangzhou", "b/file1.txt"));
        Assert.False(policy.IsAllowed("oss:GetObject", "cn-hangzhou", "b/file12.txt"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"Version":"1"}""")]
    [InlineData("""{"Statement":[{"Effect":"Maybe","Action":"oss:*","Resource":"*"}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"arn:aws:s3:::b/*"}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}""")]
    public void Parse_PolicyItCannotEvaluate_Throws(string json) => Assert.Throws<FormatException>(() => AccessPolicy.Parse(json));

    [Fact]
    public async Task KeyLimitedToUploads_CanPutThereAndNowhereElse()
    {
        await using var t = await TestServer.StartWithKeysAsync(new LocalAccessKey("admin", "admin-secret"), new LocalAccessKey("uploader", "uploader-secret") { Policy = UploadsOnly });
        var uploader = t.Server.CreateClient(new StaticCredentialsProvider("uploader", "uploader-secret"));

        using (var allowed = await t.PutAsync("examplebucket", "uploads/photo.jpg", [1, 2, 3], uploader))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        foreach (var (bucket, key) in new[] { ("examplebucket", "photo.jpg"), ("examplebucket", "uploadsx/photo.jpg"), ("otherbucket", "uploads/photo.jpg") })
        {
            using var denied = await t.PutAsync(bucket, key, [1], uploader);
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Equal("AccessDenied", (await TestServer.ErrorAsync(denied)).Element("Code")?.Value);
            using var missing = await t.GetAsync(bucket, key);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // Reading is another action: the same key may upload but not download.
        using var read = await t.GetAsync("examplebucket", "uploads/photo.jpg", uploader);
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        using var adminRead = await t.GetAsync("examplebucket", "uploads/photo.jpg");
        Assert.Equal(new byte[] { 1, 2, 3 }, await adminRead.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PolicyIsCheckedWhenTheUrlIsUsed_NotWhenItWasMade()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestServer.Start);
        LocalOssServerOptions WithPolicy(LocalOssServerOptions o, string? policy) => new()
        {
            Port = 0,
            DataDirectory = o.DataDirectory,
            TimeProvider = o.TimeProvider,
            AccessKeys = [new LocalAccessKey("k", "s") { Policy = policy }],
        };
        await using var t = await TestServer.StartAsync(dataDirectory, time, o => WithPolicy(o, null));
        var presigned = await t.Client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "report.txt" });
        var oldAuthority = t.Server.Endpoint.Authority;
        using (var before = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1]))))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await t.RestartAsync(o => WithPolicy(o, UploadsOnly));

        // The restarted server has another port; the authority is not part of the signature.
        var moved = presigned with { Url = presigned.Url.Replace(oldAuthority, t.Server.Endpoint.Authority, StringComparison.Ordinal) };
        using var response = await t.Http.SendAsync(TestServer.Request(moved, new ByteArrayContent([1])));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await TestServer.ErrorAsync(response);
        Assert.Equal("AccessDenied", error.Element("Code")?.Value);
        Assert.Contains("oss:PutObject", error.Element("Message")?.Value, StringComparison.Ordinal);
    }
}
