using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;

namespace Wafer.Models.Tests.Evaluation;

/// <summary>Teacher-forces every golden completions file and holds it to llama.cpp's own noise (golden/README.md).</summary>
public class FidelityTests(ITestOutputHelper output)
{
    public static TheoryData<string> GoldenFiles() =>
    [
        "stories260K", "stories260K-Q8_0", "stories260K-Q4_0", "synth-llama-2L-128-Q8_0",
        "synth-llama-tok512-2L-256-F16", "synth-llama-tok512-2L-256-BF16", "synth-llama-tok512-2L-256-Q8_0",
        "synth-llama-tok512-2L-256-Q4_0", "synth-llama-tok512-2L-256-Q4_1", "synth-llama-tok512-2L-256-Q5_0",
        "synth-llama-tok512-2L-256-Q5_1", "synth-llama-tok512-2L-256-Q4_K_M", "synth-llama-tok512-2L-256-Q5_K_M",
        "synth-llama-tok512-2L-256-Q6_K", "synth-llama-tok512-2L-256-Q2_K", "synth-llama-tok512-2L-256-Q3_K_M",
        "synth-llama-tok512-2L-256-IQ4_NL", "synth-llama-tok512-2L-256-IQ4_XS",
        "synth-qwen2-2L-128-Q8_0", "synth-qwen2-2L-128-Q4_K_M",
    ];

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void Measure_GoldenFile_WithinLlamaCppNoise(string name)
    {
        var golden = GoldenCompletions.Load(Fixtures.Path($"golden/completions/{name}.json"));
        using var model = TransformerModel.Load(Fixtures.Path(golden.ModelFile), new WorkerPool(2));

        var report = FidelityReport.Measure(model, golden);
        var tolerance = FidelityTolerance.For(golden.TensorTypes.Keys);

        output.WriteLine($"{name}: {report} (tolerance {tolerance})");
        Assert.True(report.Steps > 0);
        Assert.Null(tolerance.Check(report));
    }

    [Fact]
    public void Measure_Stories260KF32_AgreesToFloatRounding()
    {
        // F32 weights and an F32 KV cache leave only summation order between us and ggml.
        var golden = GoldenCompletions.Load(Fixtures.Path("golden/completions/stories260K.json"));
        using var model = TransformerModel.Load(Fixtures.Path(golden.ModelFile), new WorkerPool(2));
        var report = FidelityReport.Measure(model, golden);
        Assert.True(report.MaxTop10 < 1e-4, report.ToString());
        Assert.Equal(1.0, report.ArgmaxAgreement);
    }
}
