using System.Net;
using System.Text.Json;

namespace OssPresign.Cli.Tests.Interop;

/// <summary>
/// The upload code a .NET user would write with a plain <see cref="HttpClient"/> (no OssPresign library) through a URL
/// from <c>oss-presign presign --json</c>, against the local server. The Node, curl and Python counterparts are in
/// tests/interop.
/// </summary>
public sealed class HttpClientUploadTests(LocalServerFixture fixture) : IClassFixture<LocalServerFixture>
{
    [Fact]
    public async Task HttpClientPut_WithTheSignedHeaders_UploadsTheFileByteEqual()
    {
        var file = TempFile.Create(1_234_567);
        try
        {
            var presign = await PresignAsync("httpclient/report v1+中.bin", "--content-type", "application/octet-stream", "--meta", "client=dotnet");

            using var http = new HttpClient();
            await using var body = File.OpenRead(file);
            using var request = new HttpRequestMessage(HttpMethod.Put, presign.Url) { Content = new StreamContent(body) };
            AddSignedHeaders(request, presign.SignedHeaders);
            using var response = await http.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            Assert.Equal(await File.ReadAllBytesAsync(file), await fixture.DownloadAsync("httpclient/report v1+中.bin"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task HttpClientPut_TamperedSignature_Is403()
    {
        var presign = await PresignAsync("httpclient/tampered.bin", "--content-type", "text/plain");
        var signature = presign.Url.IndexOf("x-oss-signature=", StringComparison.Ordinal) + "x-oss-signature=".Length;
        var tampered = presign.Url[..signature] + (presign.Url[signature] == '0' ? '1' : '0') + presign.Url[(signature + 1)..];

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, tampered) { Content = new ByteArrayContent([1, 2, 3]) };
        AddSignedHeaders(request, presign.SignedHeaders);
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await fixture.DownloadAsync("httpclient/tampered.bin"));
    }

    [Fact]
    public async Task HttpClientPut_StringContentAddsAContentTypeTheUrlDidNotSign_Is403()
    {
        // StringContent sends "Content-Type: text/plain; charset=utf-8" on its own; OSS signs the Content-Type it
        // receives, so the URL must have signed exactly that value (ByteArrayContent and StreamContent send none).
        var presign = await PresignAsync("httpclient/string-content.txt");
        Assert.Empty(presign.SignedHeaders);

        using var http = new HttpClient();
        using var response = await http.PutAsync(presign.Url, new StringContent("hello"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<(string Url, Dictionary<string, string> SignedHeaders)> PresignAsync(string key, params string[] more)
    {
        var run = await CliHarness.RunAsync(fixture.Environment, null, fixture.PresignArgs(key, ["--json", .. more]));
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        return (root.GetProperty("url").GetString()!,
            root.GetProperty("signedHeaders").EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString()!, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>Content-* headers belong to the content in .NET; the rest (x-oss-*) to the request.</summary>
    private static void AddSignedHeaders(HttpRequestMessage request, Dictionary<string, string> signedHeaders)
    {
        foreach (var (name, value) in signedHeaders)
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content!.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }
}
