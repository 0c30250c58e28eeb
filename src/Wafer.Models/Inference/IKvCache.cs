namespace Wafer.Models.Inference;

/// <summary>Where the forward pass keeps each sequence's keys and values, addressed by (layer, sequence, position).</summary>
public interface IKvCache
{
    /// <summary>The key row [kvHeads·headDim] of one token.</summary>
    Span<float> KeyRow(int layer, int sequenceId, int position);

    /// <summary>The value row [kvHeads·headDim] of one token.</summary>
    Span<float> ValueRow(int layer, int sequenceId, int position);

    /// <summary>The key rows of positions <paramref name="start"/>, <paramref name="start"/> + 1, … that lie next to each other in
    /// memory, as one span [n·kvHeads·headDim] with 1 ≤ n ≤ <paramref name="maxCount"/> (attention reads a sequence run by run).</summary>
    Span<float> KeyRun(int layer, int sequenceId, int start, int maxCount);

    /// <summary>The value rows of a run of positions, as <see cref="KeyRun"/>.</summary>
    Span<float> ValueRun(int layer, int sequenceId, int start, int maxCount);
}
