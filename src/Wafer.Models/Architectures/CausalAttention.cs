using System.Buffers;
using Wafer.Kernels.Ops;
using Wafer.Models.Inference;

namespace Wafer.Models.Architectures;

/// <summary>Causal multi-head attention (GQA) of each batch token over its own sequence's cached keys and values.</summary>
/// <remarks>Plain F32 math as ggml without flash attention: scores = q·k · 1/√headDim, softmax, Σ p·v.</remarks>
internal sealed class CausalAttention(ModelConfig config, IKvCache cache, int layer, float[] queries, float[] output, int[] positions, int[] sequences)
{
    /// <summary>Computes work items [start, end) where item = token · heads + head.</summary>
    public void Run(int start, int end)
    {
        int headDim = config.HeadDim, heads = config.HeadCount;
        int group = heads / config.KvHeadCount;
        float scale = 1.0f / MathF.Sqrt(headDim);
        float[] scores = ArrayPool<float>.Shared.Rent(1 + MaxPosition());
        try
        {
            for (int item = start; item < end; item++)
            {
                int token = item / heads, head = item % heads;
                int kvOffset = head / group * headDim;
                var q = queries.AsSpan(token * config.QueryLength + head * headDim, headDim);
                int last = positions[token], sequence = sequences[token];
                var s = scores.AsSpan(0, last + 1);
                for (int t = 0; t <= last; t++)
                {
                    var k = cache.KeyRow(layer, sequence, t).Slice(kvOffset, headDim);
                    float dot = 0;
                    for (int d = 0; d < headDim; d++) dot += q[d] * k[d];
                    s[t] = dot * scale;
                }
                Softmax.InPlace(s);
                var o = output.AsSpan(token * config.QueryLength + head * headDim, headDim);
                o.Clear();
                for (int t = 0; t <= last; t++)
                {
                    var v = cache.ValueRow(layer, sequence, t).Slice(kvOffset, headDim);
                    float p = s[t];
                    for (int d = 0; d < headDim; d++) o[d] += p * v[d];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    private int MaxPosition()
    {
        int max = 0;
        foreach (int p in positions) max = Math.Max(max, p);
        return max;
    }
}
