using System.Diagnostics;
using Wafer.Models.Architectures;
using Wafer.Models.Sampling;

namespace Wafer.Models.Inference;

/// <summary>Generates one sequence: prompt prefill in batches, then one token per forward pass.</summary>
/// <remarks>The batching engine serves many sequences at once; this is the simplest path from a
/// prompt to tokens, used by <c>wafer run</c> and tests.</remarks>
public sealed class SequenceGenerator(TransformerModel model, int contextLength, int prefillBatch = 512)
{
    /// <summary>Seconds spent on the prompt in the last <see cref="Generate"/>.</summary>
    public double PromptSeconds { get; private set; }

    /// <summary>Seconds spent generating in the last <see cref="Generate"/> (after the prompt).</summary>
    public double GenerationSeconds { get; private set; }

    /// <summary>Tokens generated in the last <see cref="Generate"/>.</summary>
    public int GeneratedCount { get; private set; }

    /// <summary>Yields up to <paramref name="maxTokens"/> tokens after <paramref name="prompt"/>, stopping after a token for which <paramref name="isStop"/> is true (that token is yielded).</summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, int maxTokens, SamplerChain sampler, Func<int, bool> isStop)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty; pass some text (or a tokenizer that adds BOS)");
        if (prompt.Count >= contextLength)
            throw new ArgumentException($"the prompt has {prompt.Count} tokens, which does not fit the context of {contextLength}; shorten it or raise --ctx");
        int vocab = model.Config.VocabSize;
        var cache = new ContiguousKvCache(model.Config, contextLength);
        var batch = new ForwardBatch();
        var logits = new float[vocab];
        GeneratedCount = 0;
        GenerationSeconds = 0;
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < prompt.Count; start += prefillBatch)
        {
            batch.Clear();
            int end = Math.Min(prompt.Count, start + prefillBatch);
            for (int p = start; p < end; p++) batch.Add(prompt[p], p, 0, p == prompt.Count - 1);
            model.Forward(batch, cache, logits);
        }
        foreach (int t in prompt) sampler.Accept(t);
        PromptSeconds = clock.Elapsed.TotalSeconds;

        // Only sampling and forward passes count, not the time the caller spends with each token.
        long busy = 0;
        int position = prompt.Count;
        while (GeneratedCount < maxTokens)
        {
            long start = Stopwatch.GetTimestamp();
            int token = sampler.Sample(logits);
            busy += Stopwatch.GetTimestamp() - start;
            GeneratedCount++;
            GenerationSeconds = (double)busy / Stopwatch.Frequency;
            yield return token;
            if (isStop(token) || position >= contextLength) yield break;
            start = Stopwatch.GetTimestamp();
            batch.Clear();
            batch.Add(token, position++, 0, true);
            model.Forward(batch, cache, logits);
            busy += Stopwatch.GetTimestamp() - start;
        }
    }
}
