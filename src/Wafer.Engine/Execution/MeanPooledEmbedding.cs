using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Engine.Execution;

/// <summary>Embeds a token sequence: one forward pass, final normalised hidden states averaged over all tokens, then L2-normalised
/// (llama-embedding's <c>--pooling mean --embd-normalize 2</c>).</summary>
internal static class MeanPooledEmbedding
{
    public static float[] Compute(TransformerModel model, IReadOnlyList<int> tokens)
    {
        int embd = model.Config.EmbeddingLength;
        var batch = new ForwardBatch();
        for (int p = 0; p < tokens.Count; p++) batch.Add(tokens[p], p, 0, true);
        var hidden = new float[tokens.Count * embd];
        model.ForwardHidden(batch, new ContiguousKvCache(model.Config, tokens.Count), hidden);
        var vector = new double[embd];
        for (int t = 0; t < tokens.Count; t++)
            for (int d = 0; d < embd; d++) vector[d] += hidden[t * embd + d];
        double norm = 0;
        foreach (double v in vector) norm += v * v;
        norm = Math.Sqrt(norm);
        var result = new float[embd];
        for (int d = 0; d < embd; d++) result[d] = (float)(norm > 0 ? vector[d] / norm : 0);
        return result;
    }
}
