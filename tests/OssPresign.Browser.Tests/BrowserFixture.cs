using Microsoft.Playwright;

namespace OssPresign.Browser.Tests;

/// <summary>
/// One headless Debian Chromium (<c>apt-get install -y chromium</c>) driven by Playwright's bundled driver, shared by
/// the tests of <see cref="SharedBrowser"/>. Playwright's own browser download is not used.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Where the Debian package installs the browser; <c>OSS_TEST_CHROMIUM</c> overrides it.</summary>
    public static readonly string ExecutablePath = Environment.GetEnvironmentVariable("OSS_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The browser tests share one Chromium and run one at a time (the machine has few cores).</summary>
[CollectionDefinition(Name)]
public sealed class SharedBrowser : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
