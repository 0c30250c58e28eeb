using System.Text.Json;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Evaluation;

public class PerplexityTests
{
    /// <summary>Issue 2's bound: within 0.5 % of llama-perplexity.</summary>
    private const double RelativeTolerance = 0.005;

    [Theory]
    [InlineData("models/stories260K.gguf")]
    [InlineData("models/stories260K-Q8_0.gguf")]
    [InlineData("models/stories260K-Q4_0.gguf")]
    public void Compute_Stories260K_MatchesLlamaPerplexity(string modelFile)
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/perplexity.json")));
        var reference = golden.RootElement.GetProperty("models").EnumerateArray().First(m => m.GetProperty("file").GetString() == modelFile);
        var expectedTokens = reference.GetProperty("token_ids").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        double expected = reference.GetProperty("final_ppl").GetDouble();

        using var model = TransformerModel.Load(Fixtures.Path(modelFile), new WorkerPool(2));
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, modelFile);
        var tokens = tokenizer.Encode(File.ReadAllText(Fixtures.Path("golden/ppl-text.txt")), addSpecial: true, parseSpecial: false);
        Assert.Equal(expectedTokens, tokens);

        var result = Perplexity.Compute(model, tokens, 128, tokenizer.BosTokenId);

        Assert.Equal(reference.GetProperty("n_chunks").GetInt32(), result.ChunkCount);
        Assert.InRange(result.FinalPerplexity, expected * (1 - RelativeTolerance), expected * (1 + RelativeTolerance));
    }
}
