using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OssPresign.Server.Tests.Api;

public sealed class LoggingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Logs_DescribeRequests_ButNeverContainSecretsTokensOrSignatures(bool withARuleForTheProvider)
    {
        var sink = new CollectingLoggerProvider();
        await using var t = await TestServer.StartAsync(o => new LocalOssServerOptions
        {
            Port = 0,
            DataDirectory = o.DataDirectory,
            TimeProvider = o.TimeProvider,
            AccessKeys = [new LocalAccessKey("sts-key", "very-secret-value") { SecurityToken = "secret-sts-token" }],
            ConfigureLogging = logging =>
            {
                logging.AddProvider(sink).SetMinimumLevel(LogLevel.Trace);
                if (withARuleForTheProvider)
                {
                    // What AddFilter<XunitLoggerProvider>(...) or Logging:Console:LogLevel in a configuration adds: a rule
                    // naming the provider, which beats every rule that names none.
                    logging.AddFilter<CollectingLoggerProvider>(category: null, LogLevel.Trace);
                }
            },
        });
        var client = t.Server.CreateClient();
        var presigned = await client.PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "logged.txt" });
        using (var ok = await t.Http.SendAsync(TestServer.Request(presigned, new ByteArrayContent([1]))))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        }

        using (var refused = await t.PutAsync("examplebucket", "k", [1], t.Server.CreateClient(new StaticCredentialsProvider("sts-key", "wrong", "secret-sts-token"))))
        {
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var messages = sink.Messages.ToList();
        Assert.Contains(messages, m => m.Contains("PutObject", StringComparison.Ordinal) && m.Contains("200", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("SignatureDoesNotMatch", StringComparison.Ordinal) && m.EndsWith("(access key none verified)", StringComparison.Ordinal));
        var signature = Auth.PresignedRequestTests.QueryValue(presigned.Url, "x-oss-signature");
        Assert.DoesNotContain(messages, m => m.Contains("very-secret-value", StringComparison.Ordinal)
            || m.Contains("secret-sts-token", StringComparison.Ordinal)
            || m.Contains(signature, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABucketOfAnotherRegion_KeepsIt_AndTheServerSaysSo()
    {
        var data = Directory.CreateTempSubdirectory("oss-region-").FullName;
        try
        {
            await using (var first = await LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = data, Region = "cn-hangzhou" }))
            {
                Assert.Equal("cn-hangzhou", first.GetBucketRegion("examplebucket"));
            }

            var sink = new CollectingLoggerProvider();
            await using var again = await LocalOssServer.StartAsync(new LocalOssServerOptions
            {
                Port = 0,
                DataDirectory = data,
                Region = "cn-beijing",
                ConfigureLogging = logging => logging.AddProvider(sink),
            });

            Assert.Equal("cn-hangzhou", again.GetBucketRegion("examplebucket"));
            Assert.Null(again.GetBucketRegion("nosuchbucket"));
            Assert.Contains(
                "Bucket examplebucket already exists in region cn-hangzhou, which it keeps: sign its URLs for cn-hangzhou, not cn-beijing", sink.Messages);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(Messages);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));
        }
    }
}
