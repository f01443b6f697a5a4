using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OssPresign.Browser.Tests.Console;

/// <summary>
/// The page's multipart uploads when something goes wrong: a part or the abort fails, the server is briefly away, the
/// user cancels or leaves. The page's address lowers the threshold and part size, so that 300 KB go in 3 parts.
/// </summary>
public sealed partial class ConsolePageTests
{
    private const string PartsAddress = "?multipartAbove=200000&partSize=102400";

    private static readonly Regex PartTwo = new("partNumber=2&");

    [Fact]
    public async Task UploadMode_APartFailsWhereNoKeyMayAbort_SaysThePartsStay_AndHowToRemoveThem()
    {
        // The uploader may not abort, and no other key may: the server gives the page no abort URL. The lister only
        // lets the test see the uploads in progress.
        const string Uploads = """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}""";
        const string Lists = """{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:ListMultipartUploads"],"Resource":["acs:oss:*:*:examplebucket"]}]}""";
        await using var server = await ConsoleTestServer.StartWithKeysAsync(new LocalAccessKey("uploader", "uploader-secret") { Policy = Uploads }, new LocalAccessKey("lister", "lister-secret") { Policy = Lists });
        await _page.RouteAsync(PartTwo, route => route.FulfillAsync(OssError(403, "AccessDenied", "You have no right to access this object.")));

        var row = await UploadInPartsAsync(server, "it's big.bin");
        await Expect(row).ToHaveAttributeAsync("data-state", "failed", UploadTimeout);

        using var signing = SigningClient(server, "lister", "lister-secret");
        var uploadId = Regex.Match(await signing.GetStringAsync("/examplebucket/?uploads"), "<UploadId>([^<]+)</UploadId>").Groups[1].Value;
        Assert.NotEmpty(uploadId);
        await Expect(row.Locator(".error-code")).ToHaveTextAsync("AccessDenied");
        var cleanup = row.Locator(".result-cleanup");
        await Expect(cleanup).ToContainTextAsync("none of its access keys may oss:AbortMultipartUpload");
        await Expect(cleanup).ToContainTextAsync($"the parts of upload {uploadId} stay on the server");
        await Expect(cleanup).ToContainTextAsync("restarting the server does not remove them");
        await Expect(cleanup.Locator(".cleanup-command")).ToHaveTextAsync(
            $"oss-presign presign --method abort --endpoint {server.Server.Endpoint.GetLeftPart(UriPartial.Authority)} --path-style " +
            $"--region {server.Server.Region} --bucket examplebucket --object 'uploads/it'\\''s big.bin' --upload-id {uploadId}");
        await ScreenshotAsync("console-parts-left.png");
    }

    [Theory]
    [InlineData("refused")]
    [InlineData("unanswered")]
    public async Task UploadMode_APartFailsAndTheAbortFails_SaysThePartsStay(string abortOutcome)
    {
        await _page.RouteAsync(PartTwo, route => route.FulfillAsync(OssError(403, "AccessDenied", "You have no right to access this object.")));
        await _page.RouteAsync(new Regex("uploadId="), async route =>
        {
            if (route.Request.Method != "DELETE")
            {
                await route.FallbackAsync();
            }
            else if (abortOutcome == "refused")
            {
                await route.FulfillAsync(OssError(403, "AccessDenied", "The bucket policy does not allow this."));
            }
            else
            {
                await route.AbortAsync("connectionrefused");
            }
        });

        var row = await UploadInPartsAsync(_server, "stuck.bin");
        await Expect(row).ToHaveAttributeAsync("data-state", "failed", UploadTimeout);

        using var signing = SigningClient();
        var uploadId = Regex.Match(await signing.GetStringAsync("/examplebucket/?uploads"), "<UploadId>([^<]+)</UploadId>").Groups[1].Value;
        Assert.NotEmpty(uploadId);
        var cleanup = row.Locator(".result-cleanup");
        await Expect(cleanup).ToContainTextAsync(abortOutcome == "refused"
            ? "the abort was refused (HTTP 403 AccessDenied: The bucket policy does not allow this.)"
            : "the server did not answer the abort");
        await Expect(cleanup).ToContainTextAsync($"the parts of upload {uploadId} stay on the server");
        await Expect(cleanup.Locator(".cleanup-command")).ToContainTextAsync($"--method abort --endpoint {_server.Server.Endpoint.GetLeftPart(UriPartial.Authority)}");
    }

    [Fact]
    public async Task UploadMode_ACompletionThatFails_FailsTheRow_AndAbortsTheUpload()
    {
        await _page.RouteAsync(new Regex("uploadId="), async route =>
        {
            if (route.Request.Method == "POST")
            {
                await route.FulfillAsync(OssError(400, "InvalidPart", "One or more of the specified parts could not be found."));
            }
            else
            {
                await route.FallbackAsync();
            }
        });

        var row = await UploadInPartsAsync(_server, "incomplete.bin");
        await Expect(row).ToHaveAttributeAsync("data-state", "failed", UploadTimeout);

        await Expect(row.Locator(".error-code")).ToHaveTextAsync("InvalidPart");
        await Expect(row.Locator(".result-cleanup")).ToHaveTextAsync("The upload was aborted: its parts were removed from the server.");
        using var signing = SigningClient();
        Assert.DoesNotContain("<Upload>", await signing.GetStringAsync("/examplebucket/?uploads"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadMode_APartRefusedWith503_IsRetriedAfterGrowingWaits_AndTheUploadSucceeds()
    {
        // Part 2 meets a server that is away for three attempts (as during a restart), then gets through.
        var attempts = new List<long>();
        await _page.RouteAsync(PartTwo, async route =>
        {
            int attempt;
            lock (attempts)
            {
                attempts.Add(Stopwatch.GetTimestamp());
                attempt = attempts.Count;
            }

            if (attempt <= 3)
            {
                await route.FulfillAsync(OssError(503, "ServiceUnavailable", "Please reduce your request rate."));
            }
            else
            {
                await route.ContinueAsync();
            }
        });

        var row = await UploadInPartsAsync(_server, "patient.bin");
        await Expect(row).ToHaveAttributeAsync("data-state", "done", UploadTimeout);

        Assert.Equal(HttpStatusCode.OK, (await _server.GetObjectAsync("examplebucket", "uploads/patient.bin")).Status);
        Assert.Equal(4, attempts.Count);

        // Waits of 0.5, 1 and 2 s, each stretched by up to half at random (less a little for the timing of the
        // interception itself).
        for (var i = 1; i < attempts.Count; i++)
        {
            var gap = Stopwatch.GetElapsedTime(attempts[i - 1], attempts[i]);
            var wait = TimeSpan.FromMilliseconds(500 * Math.Pow(2, i - 1));
            Assert.True(gap >= wait * 0.9, $"Attempt {i + 1} came {gap.TotalMilliseconds:F0} ms after attempt {i}, not after at least {wait.TotalMilliseconds} ms.");
        }
    }

    [Fact]
    public async Task UploadMode_CancelDuringAMultipartUpload_StopsIt_AndAbortsIt_WhileLeavingThePageMeanwhileAsksFirst()
    {
        var (partRequested, release) = await HoldAsync(PartTwo);
        var dialogs = new List<string>();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _page.Dialog += async (_, dialog) =>
        {
            lock (dialogs)
            {
                dialogs.Add(dialog.Type);
            }

            await dialog.DismissAsync();
            asked.TrySetResult();
        };

        var row = await UploadInPartsAsync(_server, "cancelled.bin");
        await partRequested.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Closing (or reloading) the page now would stop the upload: the page asks first, and the user stays.
        await _page.CloseAsync(new() { RunBeforeUnload = true });
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("beforeunload", Assert.Single(dialogs));
        await Expect(row).ToHaveAttributeAsync("data-state", "uploading");
        await ScreenshotAsync("console-cancel.png");

        await _page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-state", "cancelled", UploadTimeout);
        release.SetResult();

        await Expect(row.Locator(".result-cancelled")).ToHaveTextAsync("Cancelled: the transfer was stopped.");
        await Expect(row.Locator(".result-cleanup")).ToHaveTextAsync("The upload was aborted: its parts were removed from the server.");
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeHiddenAsync();
        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Upload" })).ToBeFocusedAsync();
        using var signing = SigningClient();
        Assert.DoesNotContain("<Upload>", await signing.GetStringAsync("/examplebucket/?uploads"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetObjectAsync("examplebucket", "uploads/cancelled.bin")).Status);

        // Nothing runs any more: the page closes without asking.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _page.Close += (_, _) => closed.TrySetResult();
        await _page.CloseAsync(new() { RunBeforeUnload = true });
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("beforeunload", Assert.Single(dialogs));
    }

    [Fact]
    public async Task UploadMode_LeavingDuringAMultipartUpload_AbortsIt()
    {
        var (partRequested, release) = await HoldAsync(PartTwo);
        await UploadInPartsAsync(_server, "left.bin");
        await partRequested.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The user confirmed leaving (or the tab was closed): the page aborts the upload as it goes.
        await _page.CloseAsync();
        release.SetResult();

        using var signing = SigningClient();
        // Polls for the browser's keepalive DELETE, bounded; no time has to pass on a clock for it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await signing.GetStringAsync("/examplebucket/?uploads") is var listing && listing.Contains("<Upload>", StringComparison.Ordinal))
        {
            Assert.False(timeout.IsCancellationRequested, $"The upload is still in progress after the page was closed: {listing}");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    [Fact]
    public async Task UploadMode_Cancel_StopsTheFileUnderWay_AndTheFilesNotStarted()
    {
        var (putRequested, release) = await HoldAsync(new Regex("/examplebucket/queue/first\\.txt\\?"));
        await OpenAsync(_server.ConsoleAddress);
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Key prefix").FillAsync("queue/");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
        [
            new FilePayload { Name = "first.txt", MimeType = "text/plain", Buffer = "first"u8.ToArray() },
            new FilePayload { Name = "second.txt", MimeType = "text/plain", Buffer = "second"u8.ToArray() },
        ]);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await putRequested.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var rows = _page.Locator("#results .result");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-state", "waiting");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-state", "cancelled", UploadTimeout);
        release.SetResult();

        await Expect(rows.Nth(0).Locator(".result-name")).ToHaveTextAsync("first.txt");
        await Expect(rows.Nth(0).Locator(".result-cancelled")).ToContainTextAsync("Cancelled: the transfer was stopped");
        await Expect(rows.Nth(1).Locator(".result-name")).ToHaveTextAsync("second.txt");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-state", "cancelled");
        await Expect(rows.Nth(1).Locator(".result-cancelled")).ToHaveTextAsync("Cancelled before it started: nothing was sent.");
        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetObjectAsync("examplebucket", "queue/first.txt")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetObjectAsync("examplebucket", "queue/second.txt")).Status);

        // The form is usable again: a second run uploads.
        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(_page.Locator("#results .result[data-state=done]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task PasteMode_Cancel_StopsTheUpload()
    {
        var presigned = await _server.Server.CreateClient().PresignAsync(
            new PutObjectRequest { Bucket = "examplebucket", Key = "pasted/held.txt", ContentType = "text/plain" });
        var (putRequested, release) = await HoldAsync(new Regex("/examplebucket/pasted/held\\.txt\\?"));
        await OpenAsync(_server.ConsoleAddress);
        await PasteAndUploadAsync(presigned.Url, "Content-Type: text/plain", new FilePayload { Name = "held.txt", MimeType = "text/plain", Buffer = "held"u8.ToArray() });
        await putRequested.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await _page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        var row = _page.Locator("#results .result").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "cancelled", UploadTimeout);
        release.SetResult();

        await Expect(_page.GetByRole(AriaRole.Button, new() { Name = "Upload" })).ToBeFocusedAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await _server.GetObjectAsync("examplebucket", "pasted/held.txt")).Status);
    }

    /// <summary>Opens the page on <paramref name="server"/>, uploads a 300 KB file as uploads/<paramref name="name"/> in 3 parts, and returns its row.</summary>
    private async Task<ILocator> UploadInPartsAsync(ConsoleTestServer server, string name)
    {
        await OpenAsync(new Uri(server.ConsoleAddress, PartsAddress));
        await _page.GetByLabel("Bucket").SelectOptionAsync("examplebucket");
        await _page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(
            new FilePayload { Name = name, MimeType = "application/octet-stream", Buffer = RandomNumberGenerator.GetBytes(300_000) });
        await _page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        return _page.Locator("#results .result").First;
    }

    /// <summary>
    /// Holds the requests matching <paramref name="url"/> until the test releases them: the first tells the test it
    /// was made. A request the page gave up meanwhile cannot go on, which is what the tests cancel.
    /// </summary>
    private async Task<(TaskCompletionSource Requested, TaskCompletionSource Release)> HoldAsync(Regex url)
    {
        var requested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _page.RouteAsync(url, async route =>
        {
            requested.TrySetResult();
            await release.Task;
            try
            {
                await route.ContinueAsync();
            }
            catch (PlaywrightException)
            {
                // The page cancelled the request, or was closed.
            }
        });
        return (requested, release);
    }

    private static RouteFulfillOptions OssError(int status, string code, string message) => new()
    {
        Status = status,
        ContentType = "application/xml",
        Body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>0123456789ABCDEF</RequestId></Error>",
    };
}
