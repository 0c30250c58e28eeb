using System.Text.Json;

namespace Wafer.Cli.Tests.Commands.Bench;

/// <summary><c>wafer bench engine -d</c> as llama-bench's depth: each test again after that many tokens of context; a depth past
/// the model's context is one line; <c>--parallel</c> at depths and KV types.</summary>
public sealed class BenchEngineDepthTests
{
    /// <summary>Runs <c>wafer bench engine</c> on the default model with <paramref name="args"/> and <c>--json</c>; its root element.</summary>
    private static JsonElement BenchJson(params string[] args)
    {
        string json = Path.Combine(Path.GetTempPath(), $"wafer-bench-{Guid.NewGuid():N}.json");
        try
        {
            var r = WaferProcess.Run(["bench", "engine", Repository.DefaultModel, .. args, "--json", json]);
            Assert.True(r.ExitCode == 0, r.StdErr);
            return JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public void BenchEngine_TwoDepths_PpAndTgAtEach()
    {
        var tests = BenchJson("-p", "16", "-n", "4", "-d", "0,300", "-r", "1", "-t", "1").GetProperty("results").EnumerateArray()
            .ToDictionary(e => e.GetProperty("test").GetString()!, e => e.GetProperty("tokens_per_second").GetDouble());
        Assert.Equal(["pp16", "tg4", "pp16 @ d300", "tg4 @ d300"], tests.Keys);
        Assert.All(tests.Values, v => Assert.True(v > 0));
    }

    [Fact]
    public void BenchEngine_CacheTypes_AsLlamaBenchsCtkCtv_InTheJson()
    {
        var root = BenchJson("-p", "0", "-n", "4", "-d", "300", "-r", "1", "-t", "1", "-ctk", "f16", "-ctv", "f16");
        Assert.Equal(("f16", "f16"), (root.GetProperty("type_k").GetString(), root.GetProperty("type_v").GetString()));
        Assert.Equal("tg4 @ d300", root.GetProperty("results")[0].GetProperty("test").GetString());
    }

    [Fact]
    public void BenchEngine_ParallelAtADepth_WithACacheType_OneResultPerLevelAndDepth()
    {
        var root = BenchJson("-p", "0", "-n", "4", "-d", "0,40", "--parallel", "1,2", "-r", "1", "-t", "1", "--kv-type", "f16");
        Assert.Equal("f16", root.GetProperty("type_k").GetString());
        var results = root.GetProperty("results").EnumerateArray()
            .Select(e => (e.GetProperty("test").GetString(), e.GetProperty("parallel").GetInt32(), e.GetProperty("tokens_per_second").GetDouble())).ToList();
        Assert.Equal([("tg4", 1), ("tg4", 2), ("tg4 @ d40", 1), ("tg4 @ d40", 2)], results.Select(x => (x.Item1, x.Item2)));
        Assert.All(results, x => Assert.True(x.Item3 > 0));
    }

    [Fact]
    public void BenchEngine_CacheTypeWithTtft_OneLine()
    {
        var r = WaferProcess.Run("bench", "engine", Repository.DefaultModel, "-n", "4", "--ttft", "--kv-type", "f16");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--ttft runs the engine with an F32 cache", r.StdErr);
        Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void BenchEngine_DepthPastTheContext_OneLine()
    {
        var r = WaferProcess.Run("bench", "engine", Repository.DefaultModel, "-p", "16", "-n", "4", "-d", "2100", "-r", "1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("exceeds the model's context of 2048", r.StdErr);
        Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
