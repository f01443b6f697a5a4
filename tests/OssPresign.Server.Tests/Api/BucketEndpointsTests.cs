using System.Net;
using System.Xml.Linq;

namespace OssPresign.Server.Tests.Api;

public sealed class BucketEndpointsTests
{
    [Fact]
    public async Task ListObjectsV2_PagesThroughEveryKeyInByteOrder()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        var keys = Enumerable.Range(0, 23).Select(i => $"page/{i:D2}").Concat(["a", "a/b", "B", "中文", "~tilde", "Z"]).ToList();
        foreach (var key in keys)
        {
            using var put = await t.PutAsync("examplebucket", key, [1]);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var listed = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = "/examplebucket/?list-type=2&max-keys=10" + (token is null ? string.Empty : "&continuation-token=" + Uri.EscapeDataString(token));
            var page = XElement.Parse(await http.GetStringAsync(new Uri(url, UriKind.Relative)));
            var contents = page.Elements("Contents").Select(c => c.Element("Key")!.Value).ToList();
            Assert.Equal(contents.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), page.Element("KeyCount")?.Value);
            listed.AddRange(contents);
            token = page.Element("IsTruncated")!.Value == "true" ? page.Element("NextContinuationToken")!.Value : null;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed);
    }

    [Fact]
    public async Task XmlAnswers_StartWithTheDeclarationOssWrites()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        var listing = await http.GetStringAsync(new Uri("/examplebucket/?list-type=2", UriKind.Relative));
        using var missing = await http.GetAsync(new Uri("/examplebucket/missing.txt", UriKind.Relative));
        var error = await missing.Content.ReadAsStringAsync();

        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>", listing.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>", error.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListObjectsV2_WithDelimiter_GroupsCommonPrefixesAcrossPages()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        foreach (var key in new[] { "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photos/cover.jpg", "photos/zz/d.jpg", "docs/x.txt" })
        {
            using var put = await t.PutAsync("examplebucket", key, [1]);
        }

        var first = XElement.Parse(await http.GetStringAsync(new Uri("/examplebucket/?list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=2", UriKind.Relative)));
        Assert.Equal(["photos/2024/", "photos/2025/"], first.Elements("CommonPrefixes").Select(p => p.Element("Prefix")!.Value));
        Assert.Empty(first.Elements("Contents"));
        Assert.Equal("true", first.Element("IsTruncated")?.Value);

        var token = Uri.EscapeDataString(first.Element("NextContinuationToken")!.Value);
        var second = XElement.Parse(await http.GetStringAsync(
            new Uri($"/examplebucket/?list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=2&continuation-token={token}", UriKind.Relative)));
        Assert.Equal(["photos/cover.jpg"], second.Elements("Contents").Select(c => c.Element("Key")!.Value));
        Assert.Equal(["photos/zz/"], second.Elements("CommonPrefixes").Select(p => p.Element("Prefix")!.Value));
        Assert.Equal("false", second.Element("IsTruncated")?.Value);
    }

    [Fact]
    public async Task ListObjectsV2_StartAfterAndUrlEncoding()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        foreach (var key in new[] { "k1", "k2", "k3 space" })
        {
            using var put = await t.PutAsync("examplebucket", key, [1]);
        }

        var page = XElement.Parse(await http.GetStringAsync(new Uri("/examplebucket/?list-type=2&start-after=k1&encoding-type=url", UriKind.Relative)));

        Assert.Equal(["k2", "k3%20space"], page.Elements("Contents").Select(c => c.Element("Key")!.Value));
        Assert.Equal("url", page.Element("EncodingType")?.Value);
        Assert.Equal("k1", page.Element("StartAfter")?.Value);
    }

    [Fact]
    public async Task ListObjectsV1_PagesWithMarker()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();
        foreach (var key in new[] { "a", "b", "c" })
        {
            using var put = await t.PutAsync("examplebucket", key, [1]);
        }

        var first = XElement.Parse(await http.GetStringAsync(new Uri("/examplebucket/?max-keys=2", UriKind.Relative)));
        var second = XElement.Parse(await http.GetStringAsync(new Uri($"/examplebucket/?max-keys=2&marker={first.Element("NextMarker")!.Value}", UriKind.Relative)));

        Assert.Equal(["a", "b"], first.Elements("Contents").Select(c => c.Element("Key")!.Value));
        Assert.Equal(["c"], second.Elements("Contents").Select(c => c.Element("Key")!.Value));
        Assert.Equal("false", second.Element("IsTruncated")?.Value);
    }

    [Theory]
    [InlineData("max-keys=0")]
    [InlineData("max-keys=1001")]
    [InlineData("max-keys=ten")]
    [InlineData("continuation-token=bm90LWEtdG9rZW4")]
    [InlineData("encoding-type=base64")]
    public async Task ListObjectsV2_BadParameter_IsInvalidArgument(string parameter)
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        using var response = await http.GetAsync(new Uri($"/examplebucket/?list-type=2&{parameter}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidArgument", (await TestServer.ErrorAsync(response)).Element("Code")?.Value);
    }

    /// <summary>
    /// A listing echoes its parameters; one holding a character XML cannot carry (U+0001, U+FFFF) was a 500 from the
    /// XML writer. Without encoding-type=url it is refused as a key of the page would be; with it, it is echoed encoded.
    /// </summary>
    [Theory]
    [InlineData("prefix=%01")]
    [InlineData("delimiter=%01")]
    [InlineData("marker=%EF%BF%BF")]
    [InlineData("list-type=2&start-after=%01")]
    [InlineData("list-type=2&prefix=%EF%BF%BF")]
    public async Task ListObjects_ParameterXmlCannotCarry_IsInvalidArgument_OrEchoedUrlEncoded(string parameter)
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        using var plain = await http.GetAsync(new Uri($"/examplebucket/?{parameter}", UriKind.Relative));
        using var encoded = await http.GetAsync(new Uri($"/examplebucket/?{parameter}&encoding-type=url", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Equal("InvalidArgument", (await TestServer.ErrorAsync(plain)).Element("Code")?.Value);
        Assert.Equal(HttpStatusCode.OK, encoded.StatusCode);
        var echoed = XElement.Parse(await encoded.Content.ReadAsStringAsync()).Elements()
            .Where(e => e.Name.LocalName is "Prefix" or "Delimiter" or "Marker" or "StartAfter").Select(e => e.Value);
        Assert.Contains(echoed, v => v is "%01" or "%EF%BF%BF");
    }

    [Fact]
    public async Task ListBuckets_PrefixOrMarkerXmlCannotCarry_IsAnsweredNotA500()
    {
        await using var t = await TestServer.StartAsync();
        using var http = t.CreateSigningClient();

        using var prefix = await http.GetAsync(new Uri("/?prefix=%01", UriKind.Relative));
        using var marker = await http.GetAsync(new Uri("/?marker=%EF%BF%BF", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, prefix.StatusCode);
        Assert.Empty(XElement.Parse(await prefix.Content.ReadAsStringAsync()).Descendants("Bucket"));
        Assert.Equal(HttpStatusCode.OK, marker.StatusCode);
        Assert.Empty(XElement.Parse(await marker.Content.ReadAsStringAsync()).Descendants("Bucket"));
    }

    [Fact]
    public async Task ListObjects_OnBucketInAnotherRegion_MustBeSignedForThatRegion()
    {
        var config = Path.Combine(Path.GetTempPath(), $"oss-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, """{ "buckets": [ { "name": "beijing-bucket", "region": "cn-beijing" } ] }""");
        try
        {
            await using var t = await TestServer.StartAsync(o => new LocalOssServerOptions
            {
                Port = 0,
                DataDirectory = o.DataDirectory,
                TimeProvider = o.TimeProvider,
                AccessKeys = o.AccessKeys,
                ConfigFile = config,
            });
            var beijing = new OssClient(new OssClientOptions
            {
                Region = "cn-beijing",
                Endpoint = t.Server.Endpoint,
                CredentialsProvider = new StaticCredentialsProvider("test-key", "test-secret"),
                TimeProvider = t.Time,
            });

            using var wrongRegion = await t.PutAsync("beijing-bucket", "k", [1]);
            using var rightRegion = await t.PutAsync("beijing-bucket", "k", [1], beijing);

            Assert.Equal(HttpStatusCode.Forbidden, wrongRegion.StatusCode);
            Assert.Equal("0002-00000228", (await TestServer.ErrorAsync(wrongRegion)).Element("EC")?.Value);
            Assert.Equal(HttpStatusCode.OK, rightRegion.StatusCode);
        }
        finally
        {
            File.Delete(config);
        }
    }
}
