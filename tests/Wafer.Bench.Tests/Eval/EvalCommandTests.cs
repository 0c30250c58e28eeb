using System.Text.Json;

namespace Wafer.Bench.Tests.Eval;

/// <summary><c>wafer eval</c> as a process on the embedded model: a row per weight type × KV type with the reference first
/// (zero divergence), a quantized row that diverges, speed and KV memory per row, a JSON file and a chart; bad types are one line.</summary>
public sealed class EvalCommandTests
{
    [Fact]
    public void Eval_EmbeddedModelTwoWeightTypesTwoKvTypes_RowsJsonAndChart()
    {
        string dir = Directory.CreateTempSubdirectory("wafer-eval-").FullName;
        try
        {
            string json = Path.Combine(dir, "eval.json"), png = Path.Combine(dir, "eval.png");
            var r = WaferProcess.Run(TimeSpan.FromMinutes(4), "eval", Repository.DefaultModel, "--file", Path.Combine(Repository.Root, "README.md"), "-c", "64", "--chunks", "2",
                "--weights", "source,q4_0", "--kv", "f32,f16", "--prompt-tokens", "32", "--decode-tokens", "8", "-r", "1", "-t", "1", "--json", json, "--png", png);
            Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);

            var rows = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(["source (Q8_0) / KV f32", "source (Q8_0) / KV f16", "Q4_0 / KV f32", "Q4_0 / KV f16"], rows.Select(x => x.GetProperty("setting").GetString()));
            Assert.True(rows[0].GetProperty("reference").GetBoolean());
            Assert.Equal(0, rows[0].GetProperty("kl_mean").GetDouble());
            Assert.Equal(1, rows[0].GetProperty("top1_agreement").GetDouble());
            Assert.True(rows[2].GetProperty("kl_mean").GetDouble() > rows[1].GetProperty("kl_mean").GetDouble(), "Q4_0 weights should diverge more than an F16 KV cache");
            foreach (var row in rows)
            {
                Assert.True(row.GetProperty("decode_tokens_per_second").GetDouble() > 0);
                Assert.True(row.GetProperty("prefill_tokens_per_second").GetDouble() > 0);
            }
            Assert.Equal(2 * rows[1].GetProperty("kv_bytes_per_1k_tokens").GetInt64(), rows[0].GetProperty("kv_bytes_per_1k_tokens").GetInt64());
            Assert.True(rows[2].GetProperty("weight_bytes").GetInt64() < rows[0].GetProperty("weight_bytes").GetInt64());
            Assert.True(new FileInfo(png).Length > 1000);
            Assert.Contains("KL mean", r.StdOut);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--weights", "source,q9_9", "quantization type 'q9_9' is not supported")]
    [InlineData("--kv", "q8_0", "needs a head size that is a multiple of 32")]
    [InlineData("--kv", "f8", "f8")]
    public void Eval_BadType_OneLineError(string option, string value, string expected)
    {
        var r = WaferProcess.Run("eval", Repository.DefaultModel, "--file", Path.Combine(Repository.Root, "README.md"), option, value);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.StdErr);
        Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
