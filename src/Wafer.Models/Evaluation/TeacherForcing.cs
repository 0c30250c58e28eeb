using Wafer.Kernels.Ops;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Models.Evaluation;

/// <summary>Runs a token sequence through a model as one batch and returns log-probabilities at chosen positions.</summary>
public static class TeacherForcing
{
    /// <summary>Log-softmax over the vocabulary [outputPositions.Count, vocab] after feeding <paramref name="tokens"/> at positions 0…n−1 of a fresh sequence.</summary>
    /// <param name="kvType">The KV cache precision the keys and values are rounded to (F32: none).</param>
    public static float[] LogProbabilities(TransformerModel model, IReadOnlyList<int> tokens, IReadOnlyList<int> outputPositions, KvType kvType = KvType.F32)
    {
        int vocab = model.Config.VocabSize;
        var wanted = new HashSet<int>(outputPositions);
        var batch = new ForwardBatch();
        for (int p = 0; p < tokens.Count; p++) batch.Add(tokens[p], p, 0, wanted.Contains(p));
        var logits = new float[batch.OutputCount * vocab];
        model.Forward(batch, new ContiguousKvCache(model.Config, tokens.Count, kvType, kvType), logits);

        // Logits come back in batch order; map them to the caller's order.
        var rowOfPosition = new Dictionary<int, int>();
        int row = 0;
        for (int p = 0; p < tokens.Count; p++) if (wanted.Contains(p)) rowOfPosition[p] = row++;
        var result = new float[outputPositions.Count * vocab];
        for (int i = 0; i < outputPositions.Count; i++)
            Softmax.LogSoftmax(logits.AsSpan(rowOfPosition[outputPositions[i]] * vocab, vocab), result.AsSpan(i * vocab, vocab));
        return result;
    }

    /// <summary>The <paramref name="count"/> highest (id, logprob) pairs of one distribution, best first.</summary>
    public static (int Id, float LogProb)[] Top(ReadOnlySpan<float> logProbs, int count)
    {
        if (count <= 0) return [];
        var top = new List<(int Id, float LogProb)>(count + 1);
        for (int id = 0; id < logProbs.Length; id++)
        {
            float lp = logProbs[id];
            if (top.Count == count && lp <= top[^1].LogProb) continue;
            int at = top.Count;
            while (at > 0 && top[at - 1].LogProb < lp) at--;
            top.Insert(at, (id, lp));
            if (top.Count > count) top.RemoveAt(count);
        }
        return [.. top];
    }
}
