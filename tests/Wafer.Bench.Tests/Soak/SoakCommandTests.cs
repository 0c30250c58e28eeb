using System.Text.Json;

namespace Wafer.Bench.Tests.Soak;

/// <summary><c>wafer bench soak</c> as a process against a real <c>wafer serve</c> of the embedded model: the suite's short soak
/// (two minutes of mixed requests, cancellations and malformed bodies) passes, with every request answered and counted, the
/// process series exported and the KV blocks back at idle; bad options are one line.</summary>
public sealed class SoakCommandTests
{
    [Fact]
    public async Task Soak_TwoMinutesAgainstWaferServe_PassesWithNothingLostOrGrowing()
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, Repository.DefaultModel);
        string json = Path.Combine(Path.GetTempPath(), $"wafer-soak-{Guid.NewGuid():N}.json");
        try
        {
            var r = await Task.Run(() => WaferProcess.Run(TimeSpan.FromMinutes(5), "bench", "soak", "--url", server.Url.ToString(), "--duration", "2m",
                "--sample-interval", "4s", "--concurrency", "2", "--json", json));
            Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
            Assert.Contains("soak passed", r.StdOut);

            var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            Assert.True(root.GetProperty("passed").GetBoolean());
            var requests = root.GetProperty("requests");
            Assert.Equal(0, requests.GetProperty("failed").GetInt64());
            foreach (string result in (string[])["ok", "cancelled", "rejected"])
                Assert.True(requests.GetProperty(result).GetInt64() > 0, $"no request ended {result}");
            foreach (var metric in root.GetProperty("metrics").EnumerateArray())
                Assert.True(metric.GetProperty("max").ValueKind == JsonValueKind.Number, $"{metric.GetProperty("series")} was not exported");
            var kv = root.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("series").GetString() == "wafer_kv_cache_blocks_used");
            Assert.Equal(0, kv.GetProperty("idle_end").GetDouble());
            Assert.True(kv.GetProperty("max").GetDouble() > 0, "no KV block was ever held");
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Theory]
    [InlineData("--duration", "soon", "--duration 'soon' is not a positive duration")]
    [InlineData("--duration", "-5m", "--duration '-5m' is not a positive duration")]
    [InlineData("--cancel-share", "0.8", "must each be in 0…1 and sum to at most 1")]
    [InlineData("--sample-interval", "2h", "is longer than --duration")]
    public void Soak_BadOption_OneLineError(string option, string value, string expected)
    {
        string[] args = ["bench", "soak", "--url", "http://127.0.0.1:9", option, value];
        if (option == "--cancel-share") args = [.. args, "--bad-share", "0.5"];
        var r = WaferProcess.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.StdErr);
        Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Soak_NoServer_OneLineErrorNamingTheUrl()
    {
        var r = WaferProcess.Run("bench", "soak", "--url", "http://127.0.0.1:9", "--duration", "10s", "--sample-interval", "1s");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("127.0.0.1:9", r.StdErr);
        Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
