using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OssPresign.Browser.Tests.Console;

/// <summary>The upload page in a real Chromium against the in-process server.</summary>
[Collection(SharedBrowser.Name)]
public sealed partial class ConsolePageTests(BrowserFixture browser) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveAttributeOptions UploadTimeout = new() { Timeout = 60_000 };

    private ConsoleTestServer _server = null!;
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _server = await ConsoleTestServer.StartAsync();
        _context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1000, Height = 900 } });
        _page = await _context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task UploadMode_FiveMiBFile_StoresItByteForByteWithItsContentType_AfterShowingProgress()
    {
        var content = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        await OpenAsync(_server.ConsoleAddress);
        await Expect(_page.Locator("#bucket option")).ToHaveCountAsync(3);
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Key prefix").FillAsync("photos/");
        await _page.GetByLabel("URLs valid for (seconds)").FillAsync("600");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
            new FilePayload { Name = "sunrise.png", MimeType = "image/png", Buffer = content });
        await Expect(_page.Locator("#chosen")).ToContainTextAsync("1 file chosen (5.0 MiB)");

        // Loopback moves 5 MiB in milliseconds, before Chromium's first upload progress event (every 50 ms); limit
        // the upload to 8 MiB/s, as a real network would, so that the page has progress to show.
        var devtools = await _context.NewCDPSessionAsync(_page);
        await devtools.SendAsync("Network.enable");
        await devtools.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = 0,
            ["downloadThroughput"] = -1,
            ["uploadThroughput"] = 8 * 1024 * 1024,
        });

        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "done", UploadTimeout);

        var stored = await _server.GetObjectAsync("examplebucket", "photos/sunrise.png");
        Assert.Equal(HttpStatusCode.OK, stored.Status);
        Assert.Equal(content, stored.Body);
        Assert.Equal("image/png", stored.ContentType);

        // XMLHttpRequest reported bytes in flight before the load event, and the page drew them.
        var partialEvents = int.Parse(await row.GetAttributeAsync("data-partial-progress-events") ?? "0", CultureInfo.InvariantCulture);
        Assert.True(partialEvents > 0, "The page saw no upload progress before completion.");
        await Expect(row.Locator("progress")).ToHaveAttributeAsync("value", "100");
        await Expect(row.Locator(".result-speed")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+(\.\d)? (B|KiB|MiB|GiB)/s$"));

        await Expect(row.Locator(".result-etag")).ToHaveTextAsync(stored.ETag!);
        var getUrl = await row.GetByRole(AriaRole.Link, new() { Name = "Download (presigned GET)" }).GetAttributeAsync("href");
        using var download = await _server.Http.GetAsync(new Uri(getUrl!));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());

        await ScreenshotAsync("console-upload.png");
    }

    [Fact]
    public async Task UploadMode_FileAboveTheMultipartThreshold_GoesInParts_AndIsStoredWhole()
    {
        // The page's address lowers the threshold and the part size, so that a 350 KB file goes in 4 parts.
        var content = RandomNumberGenerator.GetBytes(350_000);
        await OpenAsync(new Uri(_server.ConsoleAddress, "?multipartAbove=200000&partSize=102400"));
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Key prefix").FillAsync("big/");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
            new FilePayload { Name = "video.mp4", MimeType = "video/mp4", Buffer = content });

        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "done", UploadTimeout);

        var stored = await _server.GetObjectAsync("examplebucket", "big/video.mp4");
        Assert.Equal(HttpStatusCode.OK, stored.Status);
        Assert.Equal(content, stored.Body);
        Assert.Equal("video/mp4", stored.ContentType);
        Assert.Matches("^\"[0-9A-F]{32}-4\"$", stored.ETag);
        await Expect(row.Locator(".result-etag")).ToHaveTextAsync(stored.ETag!);
        await Expect(row.Locator("progress")).ToHaveAttributeAsync("value", "100");

        // The upload was completed: nothing of it is left in progress.
        using var signing = SigningClient();
        Assert.DoesNotContain("<Upload>", await signing.GetStringAsync("/examplebucket/?uploads"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadMode_APartThatKeepsFailing_FailsTheRow_AbortsTheUpload_AndSaysThePartsWereRemoved()
    {
        // Every attempt at part 2 dies on the way (the network drops it); the page retries, gives up, and aborts.
        var attempts = 0;
        await _page.RouteAsync(new System.Text.RegularExpressions.Regex("partNumber=2&"), async route =>
        {
            Interlocked.Increment(ref attempts);
            await route.AbortAsync("connectionreset");
        });
        await OpenAsync(new Uri(_server.ConsoleAddress, "?multipartAbove=200000&partSize=102400"));
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
            new FilePayload { Name = "doomed.bin", MimeType = "application/octet-stream", Buffer = RandomNumberGenerator.GetBytes(300_000) });

        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "failed", UploadTimeout);

        Assert.Equal(5, attempts);
        await Expect(row.Locator(".error-code")).ToHaveTextAsync("Network error");
        await Expect(row.Locator(".result-cleanup")).ToHaveTextAsync("The upload was aborted: its parts were removed from the server.");
        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetObjectAsync("examplebucket", "doomed.bin")).Status);
        using var signing = SigningClient();
        Assert.DoesNotContain("<Upload>", await signing.GetStringAsync("/examplebucket/?uploads"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadMode_HtmlFileOpenedFromItsDownloadLink_CannotUseThePagesPresignApi()
    {
        // A stored page that would, on the server's origin, get itself a URL signed with the server's keys.
        const string Html = """
            <!doctype html>
            <html><head><title>not run</title></head><body>
            <script>
              document.title = 'ran';
              fetch('/_console/api/presign', {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
                body: JSON.stringify({ bucket: 'examplebucket', key: 'stolen.txt' }),
              }).then((r) => r.json())
                .then((answer) => { document.title = answer.url ? `GOT ${answer.url}` : `REFUSED ${answer.code}`; })
                .catch((error) => { document.title = `FAILED ${error}`; });
            </script>
            </body></html>
            """;
        var presignAnswers = new List<int>();
        _context.Response += (_, response) =>
        {
            if (response.Url.Contains("/_console/api/presign", StringComparison.Ordinal) && response.Frame.Page != _page)
            {
                lock (presignAnswers)
                {
                    presignAnswers.Add(response.Status);
                }
            }
        };
        await OpenAsync(_server.ConsoleAddress);
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
            new FilePayload { Name = "page.html", MimeType = "text/html", Buffer = Encoding.UTF8.GetBytes(Html) });
        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "done", UploadTimeout);

        var opened = await _context.RunAndWaitForPageAsync(() => row.GetByRole(AriaRole.Link, new() { Name = "Download (presigned GET)" }).ClickAsync());
        await opened.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // The object is served sandboxed: its script does not run, so it asks for nothing (an opaque origin that
        // asked would be refused).
        var title = await opened.TitleAsync();
        Assert.False(title.StartsWith("GOT", StringComparison.Ordinal), $"The uploaded page got a presigned URL: {title}");
        Assert.DoesNotContain(200, presignAnswers);
        Assert.Equal("not run", title);
    }

    [Fact]
    public async Task UploadMode_SeveralFilesOneUntyped_StoresEachWithItsOwnContentType()
    {
        await OpenAsync(_server.ConsoleAddress);
        await Expect(_page.Locator("#bucket option")).ToHaveCountAsync(3);
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Key prefix").FillAsync("mixed/");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
        [
            new FilePayload { Name = "a.json", MimeType = "application/json", Buffer = Encoding.UTF8.GetBytes("{\"a\":1}") },
            new FilePayload { Name = "b.bin", MimeType = string.Empty, Buffer = [1, 2, 3] },
        ]);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(_page.Locator("#results .result[data-state=done]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });

        var json = await _server.GetObjectAsync("examplebucket", "mixed/a.json");
        Assert.True(json.Status == HttpStatusCode.OK, Encoding.UTF8.GetString(json.Body));
        Assert.Equal("application/json", json.ContentType);

        // A file without a type gets a URL that signs no Content-Type, and the browser sends none.
        var untyped = await _server.GetObjectAsync("examplebucket", "mixed/b.bin");
        Assert.Equal(HttpStatusCode.OK, untyped.Status);
        Assert.Equal([1, 2, 3], untyped.Body);
    }

    [Fact]
    public async Task UploadMode_DroppedFile_IsUploaded()
    {
        await OpenAsync(_server.ConsoleAddress);
        await Expect(_page.Locator("#bucket option")).ToHaveCountAsync(3);
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Key prefix").FillAsync("dropped/");

        // What the browser hands the page when a file is dragged in from the desktop.
        var dataTransfer = await _page.EvaluateHandleAsync(
            "() => { const t = new DataTransfer(); t.items.add(new File(['dropped text'], 'note.md', { type: 'text/markdown' })); return t; }");
        await _page.Locator("#drop-zone").DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = dataTransfer });
        await Expect(_page.Locator("#chosen")).ToContainTextAsync("1 file chosen (12 B): note.md");

        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(_page.Locator("#results .result").First).ToHaveAttributeAsync("data-state", "done", UploadTimeout);
        var stored = await _server.GetObjectAsync("examplebucket", "dropped/note.md");
        Assert.Equal("dropped text", Encoding.UTF8.GetString(stored.Body));
        Assert.Equal("text/markdown", stored.ContentType);
    }

    [Fact]
    public async Task PasteMode_UrlSignedWithoutContentType_ShowsSignatureDoesNotMatchDecoded_AndStoresNothing()
    {
        var presigned = await _server.Server.CreateClient().PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "notes/plain.txt" });

        await OpenAsync(_server.ConsoleAddress);
        await PasteAndUploadAsync(presigned.Url, headers: string.Empty, new FilePayload
        {
            Name = "plain.txt",
            MimeType = "text/plain",
            Buffer = Encoding.UTF8.GetBytes("hello from the browser"),
        });

        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "failed", UploadTimeout);
        var alert = row.GetByRole(AriaRole.Alert);
        await Expect(alert.Locator(".error-code")).ToHaveTextAsync("SignatureDoesNotMatch");
        await Expect(alert.Locator(".error-message")).ToContainTextAsync("The request signature we calculated does not match");
        await Expect(alert.Locator(".error-hint")).ToContainTextAsync("Content-Type mismatch");
        await Expect(alert.Locator(".error-hint")).ToContainTextAsync("--content-type text/plain");
        await Expect(alert).Not.ToContainTextAsync("403 Forbidden");

        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetObjectAsync("examplebucket", "notes/plain.txt")).Status);
        await ScreenshotAsync("console-signature-mismatch.png");
    }

    [Fact]
    public async Task PasteMode_UrlSigningTheFilesContentType_Succeeds()
    {
        var body = Encoding.UTF8.GetBytes("hello from the browser");
        var presigned = await _server.Server.CreateClient().PresignAsync(
            new PutObjectRequest { Bucket = "examplebucket", Key = "notes/plain.txt", ContentType = "text/plain" });

        await OpenAsync(_server.ConsoleAddress);
        await PasteAndUploadAsync(presigned.Url, headers: "Content-Type: text/plain\n",
            new FilePayload { Name = "plain.txt", MimeType = "text/plain", Buffer = body });

        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "done", UploadTimeout);
        var stored = await _server.GetObjectAsync("examplebucket", "notes/plain.txt");
        Assert.Equal(body, stored.Body);
        Assert.Equal("text/plain", stored.ContentType);
        await Expect(row.Locator(".result-etag")).ToHaveTextAsync(stored.ETag!);
    }

    [Fact]
    public async Task PasteMode_CrossOriginAllowedByBucketCors_Succeeds()
    {
        var body = Encoding.UTF8.GetBytes("cross-origin and allowed");
        var presigned = await _server.Server.CreateClient().PresignAsync(
            new PutObjectRequest { Bucket = "corsallowed", Key = "from-localhost.txt", ContentType = "text/plain" });

        // The page is on http://localhost:port, the URL on http://127.0.0.1:port: another origin, so CORS applies.
        await OpenAsync(_server.LocalhostConsoleAddress);
        Assert.NotEqual(new Uri(presigned.Url).GetLeftPart(UriPartial.Authority), new Uri(_page.Url).GetLeftPart(UriPartial.Authority));
        await PasteAndUploadAsync(presigned.Url, "Content-Type: text/plain", new FilePayload { Name = "from-localhost.txt", MimeType = "text/plain", Buffer = body });

        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "done", UploadTimeout);
        var stored = await _server.GetObjectAsync("corsallowed", "from-localhost.txt");
        Assert.Equal(body, stored.Body);

        // The rule exposes ETag, so the page could read it from the cross-origin response.
        await Expect(row.Locator(".result-etag")).ToHaveTextAsync(stored.ETag!);
    }

    [Fact]
    public async Task PasteMode_CrossOriginNotAllowedByBucketCors_ReportsTheFailure_AndStoresNothing()
    {
        var presigned = await _server.Server.CreateClient().PresignAsync(
            new PutObjectRequest { Bucket = "corsdenied", Key = "from-localhost.txt", ContentType = "text/plain" });

        await OpenAsync(_server.LocalhostConsoleAddress);
        await PasteAndUploadAsync(presigned.Url, "Content-Type: text/plain",
            new FilePayload { Name = "from-localhost.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("refused") });

        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "failed", UploadTimeout);
        var alert = row.GetByRole(AriaRole.Alert);
        await Expect(alert.Locator(".error-code")).ToHaveTextAsync("CORS or network error");
        await Expect(alert.Locator(".error-hint")).ToContainTextAsync($"AllowedOrigin {new Uri(_page.Url).GetLeftPart(UriPartial.Authority)}");

        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetObjectAsync("corsdenied", "from-localhost.txt")).Status);
    }

    [Fact]
    public async Task PasteMode_MalformedHeaderLine_IsReportedInTheForm_WithoutUploading()
    {
        await OpenAsync(_server.ConsoleAddress);
        await PasteAndUploadAsync("http://127.0.0.1:1/examplebucket/x", "Content-Type text/plain",
            new FilePayload { Name = "x.txt", MimeType = "text/plain", Buffer = [1] });

        await Expect(_page.Locator("#paste-form-error")).ToContainTextAsync("Line 1 is not \"Name: value\"");
        await Expect(_page.Locator("#results .result")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Page_WithoutThePresignEndpoint_OpensInPasteMode()
    {
        await using var server = await ConsoleTestServer.StartOnEveryInterfaceAsync();

        await OpenAsync(server.ConsoleAddress);
        await Expect(_page.GetByLabel("Paste a presigned URL")).ToBeCheckedAsync();
        await Expect(_page.Locator("#presign-status")).ToContainTextAsync("not bound to a loopback address");
        await Expect(_page.GetByLabel("Presigned URL", new() { Exact = true })).ToBeVisibleAsync();
    }

    /// <summary>A client that signs with the server's key (Authorization header), for the requests no URL was presigned for.</summary>
    private HttpClient SigningClient() => SigningClient(_server, "browser-test-key", "browser-test-secret");

    private static HttpClient SigningClient(ConsoleTestServer server, string keyId, string secret) => new(new OssPresign.Http.OssSigningHandler(new OssClientOptions
    {
        Region = server.Server.Region,
        Endpoint = server.Server.Endpoint,
        UsePathStyle = true,
        CredentialsProvider = new StaticCredentialsProvider(keyId, secret),
    }, new SocketsHttpHandler()))
    {
        BaseAddress = server.Server.Endpoint,
    };

    private async Task OpenAsync(Uri address)
    {
        var response = await _page.GotoAsync(address.ToString());
        Assert.Equal(200, response!.Status);

        // The page has asked the server whether it presigns; upload mode is usable or the page has switched to paste.
        await Expect(_page.Locator("#presign-status")).Not.ToContainTextAsync("Asking the server");
    }

    private async Task PasteAndUploadAsync(string url, string headers, FilePayload file)
    {
        await _page.GetByLabel("Paste a presigned URL").CheckAsync();
        await _page.GetByLabel("Presigned URL", new() { Exact = true }).FillAsync(url);
        await _page.GetByLabel("Signed headers", new() { Exact = true }).FillAsync(headers);
        await _page.GetByLabel("File", new() { Exact = true }).SetInputFilesAsync(file);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
    }

    private async Task ScreenshotAsync(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await _page.ScreenshotAsync(new() { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 0);
    }
}
