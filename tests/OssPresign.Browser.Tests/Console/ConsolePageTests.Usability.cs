using System.Text;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OssPresign.Browser.Tests.Console;

/// <summary>What a first-time user meets: the console stays clean, keyboard focus stays put, text fits a phone.</summary>
public sealed partial class ConsolePageTests
{
    [Fact]
    public async Task Page_LoadsWithoutAConsoleErrorOrAFailedRequest()
    {
        var problems = new List<string>();
        _page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (problems)
                {
                    problems.Add($"console: {message.Text}");
                }
            }
        };
        _page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                lock (problems)
                {
                    problems.Add($"{response.Status} {response.Url}");
                }
            }
        };

        await OpenAsync(_server.ConsoleAddress);
        // The browser asks for an icon after the page has loaded.
        await _page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.Empty(problems);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(406.97674411553, "407 B")]
    [InlineData(1023.6, "1.0 KiB")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1048575, "1.0 MiB")]
    [InlineData(5 * 1024 * 1024, "5.0 MiB")]
    public async Task Page_FormatsSizesAndSpeeds_InWholeBytesOrOneDecimal(double bytes, string shown)
    {
        await OpenAsync(_server.ConsoleAddress);

        Assert.Equal(shown, await _page.EvaluateAsync<string>("bytes => formatBytes(bytes)", bytes));
    }

    [Fact]
    public async Task Page_AtPhoneWidth_ALongFileNameDoesNotWidenThePage()
    {
        await _page.SetViewportSizeAsync(375, 800);
        var name = string.Concat(Enumerable.Repeat("long_file_name_without_spaces_", 5)) + ".txt";
        await OpenAsync(_server.ConsoleAddress);
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
            new FilePayload { Name = name, MimeType = "text/plain", Buffer = [1, 2, 3] });
        await Expect(_page.Locator("#chosen")).ToContainTextAsync(name);
        Assert.Equal(0, await HorizontalOverflowAsync());

        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(_page.Locator("#results .result").First).ToHaveAttributeAsync("data-state", "done", UploadTimeout);
        Assert.Equal(0, await HorizontalOverflowAsync());
        await ScreenshotAsync("console-phone.png");
    }

    [Fact]
    public async Task UploadMode_StartedFromTheKeyboard_GivesFocusBackToTheUploadButton()
    {
        await OpenAsync(_server.ConsoleAddress);
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
            new FilePayload { Name = "keyboard.txt", MimeType = "text/plain", Buffer = [1] });
        var button = _page.GetByRole(AriaRole.Button, new() { Name = "Upload" });
        await button.FocusAsync();
        await _page.Keyboard.PressAsync("Enter");
        await Expect(_page.Locator("#results .result").First).ToHaveAttributeAsync("data-state", "done", UploadTimeout);

        await Expect(button).ToBeEnabledAsync();
        await Expect(button).ToBeFocusedAsync();
    }

    [Fact]
    public async Task PasteMode_StartedFromTheKeyboard_GivesFocusBackToTheUploadButton()
    {
        var presigned = await _server.Server.CreateClient().PresignAsync(
            new PutObjectRequest { Bucket = "examplebucket", Key = "notes/keyboard.txt", ContentType = "text/plain" });
        await OpenAsync(_server.ConsoleAddress);
        await _page.GetByLabel("Paste a presigned URL").CheckAsync();
        await _page.GetByLabel("Presigned URL", new() { Exact = true }).FillAsync(presigned.Url);
        await _page.GetByLabel("Signed headers", new() { Exact = true }).FillAsync("Content-Type: text/plain");
        await _page.GetByLabel("File", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "keyboard.txt", MimeType = "text/plain", Buffer = [1] });
        var button = _page.GetByRole(AriaRole.Button, new() { Name = "Upload" });
        await button.FocusAsync();
        await _page.Keyboard.PressAsync("Enter");
        await Expect(_page.Locator("#results .result").First).ToHaveAttributeAsync("data-state", "done", UploadTimeout);

        await Expect(button).ToBeFocusedAsync();
    }

    [Fact]
    public async Task PasteMode_HeadersAsPresignPrintsThem_WithTheirLabel_Upload()
    {
        var body = Encoding.UTF8.GetBytes("pasted with the label");
        var presigned = await _server.Server.CreateClient().PresignAsync(
            new PutObjectRequest { Bucket = "examplebucket", Key = "notes/labelled.txt", ContentType = "text/plain" });

        await OpenAsync(_server.ConsoleAddress);
        await PasteAndUploadAsync(presigned.Url, "Signed headers:  Content-Type: text/plain\n",
            new FilePayload { Name = "labelled.txt", MimeType = "text/plain", Buffer = body });

        await Expect(_page.Locator("#results .result").First).ToHaveAttributeAsync("data-state", "done", UploadTimeout);
        Assert.Equal(body, (await _server.GetObjectAsync("examplebucket", "notes/labelled.txt")).Body);
    }

    [Theory]
    [InlineData("Signed headers:  Content-Type: text/plain\n                 x-oss-meta-a: b", """{"content-type":"text/plain","x-oss-meta-a":"b"}""")]
    [InlineData("\n  signed headers: x-oss-meta-a: b", """{"x-oss-meta-a":"b"}""")]
    [InlineData("Signed headers:  (none: send no Content-Type, Content-MD5 or x-oss-* header)", "{}")]
    [InlineData("Headers given:   Content-Type: text/plain", """{"content-type":"text/plain"}""")]
    [InlineData("Content-Type: text/plain", """{"content-type":"text/plain"}""")]
    public async Task PasteMode_ReadsTheHeaderBlockOfPresignAndInspect(string pasted, string headers)
    {
        await OpenAsync(_server.ConsoleAddress);

        Assert.Equal(headers, await _page.EvaluateAsync<string>("text => JSON.stringify(parseHeaders(text))", pasted));
    }

    /// <summary>How many CSS pixels the page is wider than the viewport (0 when it needs no horizontal scrolling).</summary>
    private Task<int> HorizontalOverflowAsync() =>
        _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
}
