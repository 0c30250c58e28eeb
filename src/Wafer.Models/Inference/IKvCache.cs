namespace Wafer.Models.Inference;

/// <summary>Where the forward pass keeps each sequence's keys and values, addressed by (layer, sequence, position).</summary>
public interface IKvCache
{
    /// <summary>The key row [kvHeads·headDim] of one token.</summary>
    Span<float> KeyRow(int layer, int sequenceId, int position);

    /// <summary>The value row [kvHeads·headDim] of one token.</summary>
    Span<float> ValueRow(int layer, int sequenceId, int position);
}
