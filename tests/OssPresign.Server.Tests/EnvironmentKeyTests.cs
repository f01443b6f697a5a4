using System.Net;

namespace OssPresign.Server.Tests;

/// <summary>Tests that set the process's OSS_ACCESS_KEY_*, which every server started meanwhile would read.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class EnvironmentKeyTests
{
    [Fact]
    public async Task AccessKeysInTheOptions_AreTheServersKeys_WhateverTheEnvironmentSays()
    {
        var before = (Environment.GetEnvironmentVariable("OSS_ACCESS_KEY_ID"), Environment.GetEnvironmentVariable("OSS_ACCESS_KEY_SECRET"));
        Environment.SetEnvironmentVariable("OSS_ACCESS_KEY_ID", " LTAIshellkey ");
        Environment.SetEnvironmentVariable("OSS_ACCESS_KEY_SECRET", "shell-secret\n");
        var (declaredData, undeclaredData) = (TestServer.NewDataDirectory(), TestServer.NewDataDirectory());
        try
        {
            await using (var declared = await LocalOssServer.StartAsync(new LocalOssServerOptions
            {
                Port = 0,
                DataDirectory = declaredData,
                AccessKeys = [new LocalAccessKey("suite-key", "suite-secret")],
            }))
            {
                Assert.Equal("suite-key", declared.Credentials.AccessKeyId);
                var shellSigned = await declared.CreateClient(new StaticCredentialsProvider("LTAIshellkey", "shell-secret"))
                    .PresignAsync(new PutObjectRequest { Bucket = "examplebucket", Key = "k" });
                using var http = new HttpClient();
                using var refused = await http.PutAsync(new Uri(shellSigned.Url), new ByteArrayContent([1]));
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }

            // Without keys in the options, the shell's key is the server's, trimmed as clients read it.
            await using var undeclared = await LocalOssServer.StartAsync(new LocalOssServerOptions { Port = 0, DataDirectory = undeclaredData });
            Assert.Equal("LTAIshellkey", undeclared.Credentials.AccessKeyId);
            Assert.Equal("shell-secret", undeclared.Credentials.AccessKeySecret);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OSS_ACCESS_KEY_ID", before.Item1);
            Environment.SetEnvironmentVariable("OSS_ACCESS_KEY_SECRET", before.Item2);
            foreach (var data in new[] { declaredData, undeclaredData }.Where(Directory.Exists))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
