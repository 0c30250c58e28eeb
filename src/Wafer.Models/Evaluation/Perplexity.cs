using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Models.Evaluation;

/// <summary>Perplexity exactly as llama-perplexity computes it.</summary>
/// <remarks>
/// The tokens are cut into chunks of <c>context</c>; each chunk starts a fresh sequence with its first
/// token replaced by BOS; only the second half is scored: logits at positions context/2 … context−2
/// predict the tokens at context/2+1 … context−1. PPL = exp(mean NLL) over every scored token so far.
/// </remarks>
public static class Perplexity
{
    /// <summary>Result: perplexity after each chunk, the final value and its standard error.</summary>
    public sealed record Result(int ChunkCount, int ScoredTokens, double[] RunningPerplexity, double[] RunningMeanNll, double FinalPerplexity, double StandardError);

    /// <summary>How many whole chunks of <paramref name="context"/> tokens the text holds; throws, naming the fix, when the context
    /// is too short or too long for the model, or the text shorter than one chunk.</summary>
    internal static int ChunkCount(ModelConfig config, int tokenCount, int context)
    {
        if (context < 4) throw new ArgumentException($"context must be at least 4 tokens, got {context}");
        if (context > config.ContextLength) throw new ArgumentException($"context {context} exceeds the model's training context of {config.ContextLength}");
        int chunks = tokenCount / context;
        if (chunks == 0) throw new ArgumentException($"the text has {tokenCount} tokens, fewer than one chunk of {context}; use a longer text or a smaller -c");
        return chunks;
    }

    /// <summary>Computes the perplexity of <paramref name="tokens"/> (which should start with BOS).</summary>
    /// <param name="progress">Told the number of chunks done after each chunk.</param>
    public static Result Compute(TransformerModel model, IReadOnlyList<int> tokens, int context, int bosTokenId, IProgress<int>? progress = null)
    {
        int chunks = ChunkCount(model.Config, tokens.Count, context);
        int vocab = model.Config.VocabSize, first = context / 2;
        var running = new double[chunks];
        var runningNll = new double[chunks];
        double nll = 0, nll2 = 0;
        int count = 0;
        var batch = new ForwardBatch();
        var logits = new float[(context - 1 - first) * vocab];
        var logProbs = new float[vocab];
        for (int k = 0; k < chunks; k++)
        {
            batch.Clear();
            for (int p = 0; p < context; p++)
            {
                int token = p == 0 && bosTokenId >= 0 ? bosTokenId : tokens[k * context + p];
                batch.Add(token, p, 0, p >= first && p < context - 1);
            }
            model.Forward(batch, new ContiguousKvCache(model.Config, context), logits);
            for (int p = first; p < context - 1; p++)
            {
                Wafer.Kernels.Ops.Softmax.LogSoftmax(logits.AsSpan((p - first) * vocab, vocab), logProbs);
                double v = -logProbs[tokens[k * context + p + 1]];
                nll += v;
                nll2 += v * v;
                count++;
            }
            runningNll[k] = nll / count;
            running[k] = Math.Exp(runningNll[k]);
            progress?.Report(k + 1);
        }
        double mean = nll / count, variance = nll2 / count - mean * mean;
        double stderr = count > 1 ? Math.Sqrt(Math.Max(0, variance) / (count - 1)) * Math.Exp(mean) : 0;
        return new Result(chunks, count, running, runningNll, running[^1], stderr);
    }
}
