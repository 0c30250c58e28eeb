using System.Text.Json;
using Wafer.Kernels;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Gguf;
using Wafer.Models.Quantization;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Quantization;

public sealed class ModelQuantizerTests : IDisposable
{
    /// <summary>The bound: perplexity of our quantization within 2 % of llama.cpp's for the same type.</summary>
    private const double PerplexityTolerance = 0.02;

    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-quantize-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    public void Quantize_Stories260K_ByteIdenticalToLlamaQuantize(string type)
    {
        string output = Path.Combine(_dir, $"stories260K-{type}.gguf");
        ModelQuantizer.Quantize(Fixtures.Path("models/stories260K.gguf"), output, QuantizationScheme.Parse(type));
        Assert.Equal(File.ReadAllBytes(Fixtures.Path($"models/stories260K-{type}.gguf")), File.ReadAllBytes(output));
    }

    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    public void Quantize_Stories260K_PerplexityWithinTwoPercentOfLlamaCpp(string type)
    {
        string output = Path.Combine(_dir, $"ppl-{type}.gguf");
        ModelQuantizer.Quantize(Fixtures.Path("models/stories260K.gguf"), output, QuantizationScheme.Parse(type));
        using var golden = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/perplexity.json")));
        double expected = golden.RootElement.GetProperty("models").EnumerateArray()
            .First(m => m.GetProperty("file").GetString() == $"models/stories260K-{type}.gguf").GetProperty("final_ppl").GetDouble();

        using var model = TransformerModel.Load(output, new WorkerPool(2));
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, output);
        var tokens = tokenizer.Encode(File.ReadAllText(Fixtures.Path("golden/ppl-text.txt")), addSpecial: true, parseSpecial: false);
        var result = Perplexity.Compute(model, tokens, 128, tokenizer.BosTokenId);

        Assert.InRange(result.FinalPerplexity, expected * (1 - PerplexityTolerance), expected * (1 + PerplexityTolerance));
    }

    [Fact]
    public void Quantize_Q4KM_UsesLlamaCppTypeMix()
    {
        string output = Path.Combine(_dir, "stories260K-Q4_K_M.gguf");
        ModelQuantizer.Quantize(Fixtures.Path("models/stories260K.gguf"), output, QuantizationScheme.Parse("Q4_K_M"));
        using var file = GgufFile.Open(output);
        // 64 columns: K-quants fall back (Q4_K → Q5_0, Q6_K → Q8_0); 172-column ffn_down rows fit no block → F16.
        Assert.Equal(GgmlType.Q8_0, file.GetTensor("output.weight").Type);
        Assert.Equal(GgmlType.Q5_0, file.GetTensor("blk.1.attn_q.weight").Type);
        Assert.Equal(GgmlType.Q8_0, file.GetTensor("blk.2.attn_v.weight").Type); // use_more_bits(2, 5) → Q6_K → Q8_0
        Assert.Equal(GgmlType.Q5_0, file.GetTensor("blk.1.attn_v.weight").Type);
        Assert.Equal(GgmlType.F16, file.GetTensor("blk.2.ffn_down.weight").Type);
        Assert.Equal(GgmlType.F32, file.GetTensor("output_norm.weight").Type);
        Assert.Equal(15L, file.Metadata.GetInt64("general.file_type"));
    }

    [Theory]
    [InlineData(0, 24, true)]
    [InlineData(2, 24, true)]
    [InlineData(3, 24, false)]
    [InlineData(4, 24, false)]
    [InlineData(5, 24, true)]
    [InlineData(19, 24, false)]
    [InlineData(21, 24, true)]
    public void UseMoreBits_LayerIndex_MatchesLlamaCpp(int index, int count, bool expected) =>
        Assert.Equal(expected, QuantizationPlanner.UseMoreBits(index, count));

    [Fact]
    public void Parse_UnknownType_NamesSupportedTypes()
    {
        var e = Assert.Throws<ArgumentException>(() => QuantizationScheme.Parse("Q9_9"));
        Assert.Contains("Q4_K_M", e.Message, StringComparison.Ordinal);
    }
}
