using System.Text.Json;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Evaluation;

/// <summary>Perplexity over chunks of 512 tokens — the model's whole context, so half of every chunk's positions attend over
/// more than <see cref="CausalAttention.Chunk"/> keys through the online softmax — against llama-perplexity v0.5.0 on the same
/// text (golden/ppl-text.txt three times; Golden/LongContext/README.md has the command).</summary>
public sealed class LongContextPerplexityTests
{
    [Theory]
    [InlineData("models/stories260K.gguf", 1e-4)]
    [InlineData("models/stories260K-Q8_0.gguf", 0.005)]
    public void Compute_512TokenChunks_MatchesLlamaPerplexityChunkByChunk(string modelFile, double relativeTolerance)
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "LongContext", "perplexity-c512.json")));
        var reference = golden.RootElement.GetProperty("models").EnumerateArray().First(m => m.GetProperty("file").GetString() == modelFile);
        var expected = reference.GetProperty("running_ppl").EnumerateArray().Select(v => v.GetDouble()).ToArray();

        using var model = TransformerModel.Load(Fixtures.Path(modelFile), new WorkerPool(2));
        var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, modelFile);
        string text = File.ReadAllText(Fixtures.Path("golden/ppl-text.txt"));
        var tokens = tokenizer.Encode(text + text + text, addSpecial: true, parseSpecial: false);

        var result = Perplexity.Compute(model, tokens, 512, tokenizer.BosTokenId);

        Assert.Equal(expected.Length, result.ChunkCount);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(result.RunningPerplexity[k] / expected[k] - 1) <= relativeTolerance,
                $"chunk {k + 1}: {result.RunningPerplexity[k]:F4} against llama-perplexity's {expected[k]:F4}");
    }
}
