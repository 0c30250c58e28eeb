using Wafer.Kernels.Gemm;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;
using Wafer.Tests;

namespace Wafer.Models.Tests.Architectures;

/// <summary>A model whose Q8_0/Q4_0/Q5_0 matrices are repacked at load (the default) computes what the mapped GGUF layout computes.</summary>
public sealed class RepackedWeightsTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 263, 31, 292, 27, 471, 263, 217, 78];

    [Theory]
    [InlineData("stories260K-Q8_0.gguf")]
    [InlineData("stories260K-Q4_0.gguf")]
    public void Forward_Repacked_AgreesWithGgufLayout(string file)
    {
        Assert.SkipUnless(Interleaved8.IsSupported, "needs AVX2 or AVX-VNNI, with FMA");
        using var repacked = TransformerModel.Load(Fixtures.Path("models/" + file), new WorkerPool(2));
        using var mapped = TransformerModel.Load(Fixtures.Path("models/" + file), new WorkerPool(2), repack: false);
        Assert.True(repacked.RepackedBytes > 0);
        Assert.Equal(0, mapped.RepackedBytes);

        var a = Logits(repacked);
        var b = Logits(mapped);
        // Only the F32 summation order inside each matrix product differs (see InterleavedGemm).
        for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 2e-3f);
        Assert.Equal(ArgMax(b, a.Length - repacked.Config.VocabSize), ArgMax(a, a.Length - repacked.Config.VocabSize));
    }

    // The embedding counts where it is also the output matrix.
    [Theory]
    [InlineData("synth-qwen2-2L-128-Q4_K_M.gguf", true)]         // Q5_0 and Q8_0 (rows of 128 columns have no K-quant)
    [InlineData("synth-llama-tok512-2L-256-Q4_K_M.gguf", false)] // Q4_K and Q6_K only
    public void Load_RepacksExactlyTheQ8_0Q4_0AndQ5_0Matrices(string modelFile, bool any)
    {
        Assert.SkipUnless(Interleaved8.IsSupported, "needs AVX2 or AVX-VNNI, with FMA");
        using var model = TransformerModel.Load(Fixtures.Path("models/" + modelFile), new WorkerPool(1));
        var file = model.File;
        bool tied = !file.Tensors.Any(t => t.Name == "output.weight");
        long expected = file.Tensors
            .Where(t => t.Dimensions.Length == 2 && (tied || t.Name != "token_embd.weight") && t.Type is Kernels.GgmlType.Q8_0 or Kernels.GgmlType.Q4_0 or Kernels.GgmlType.Q5_0 && t.Dimensions[1] % 8 == 0)
            .Sum(t => ((long)Kernels.Quantization.TensorTypes.RowBytes(t.Type, (int)t.Dimensions[0]) * (long)t.Dimensions[1] + 63) & ~63L);
        Assert.Equal(any, expected > 0);
        Assert.Equal(expected, model.RepackedBytes);
    }

    private static float[] Logits(TransformerModel model)
    {
        var batch = new ForwardBatch();
        for (int p = 0; p < Prompt.Length; p++) batch.Add(Prompt[p], p, 0, true);
        var logits = new float[Prompt.Length * model.Config.VocabSize];
        model.Forward(batch, new ContiguousKvCache(model.Config, 64), logits);
        return logits;
    }

    private static int ArgMax(float[] values, int start)
    {
        int best = start;
        for (int i = start; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best - start;
    }
}
