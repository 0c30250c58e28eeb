namespace Wafer.Models.Inference;

/// <summary>Where the forward pass keeps each sequence's keys and values, addressed by (layer, sequence, position).</summary>
public interface IKvCache
{
    /// <summary>How keys are stored; <see cref="KeyRun"/> exists for F32 only, <see cref="ReadKeys"/> for every type.</summary>
    KvType KeyType { get; }

    /// <summary>How values are stored.</summary>
    KvType ValueType { get; }

    /// <summary>How the keys of forward-batch sequence <paramref name="sequenceId"/> are stored: <see cref="KeyType"/>, unless the
    /// cache keeps some sequences at another precision (<c>--adaptive</c>).</summary>
    KvType KeyTypeOf(int sequenceId) => KeyType;

    /// <summary>How the values of a sequence are stored, as <see cref="KeyTypeOf"/>.</summary>
    KvType ValueTypeOf(int sequenceId) => ValueType;

    /// <summary>Stores one token's key and value rows [kvHeads·headDim], converted to the cache's types.</summary>
    void Write(int layer, int sequenceId, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value);

    /// <summary>F32 keys only: the key rows of positions <paramref name="start"/>, <paramref name="start"/> + 1, … that lie
    /// next to each other in memory, as one span [n·kvHeads·headDim] with 1 ≤ n ≤ <paramref name="maxCount"/> (attention
    /// reads a sequence run by run).</summary>
    Span<float> KeyRun(int layer, int sequenceId, int start, int maxCount);

    /// <summary>F32 values only: the value rows of a run of positions, as <see cref="KeyRun"/>.</summary>
    Span<float> ValueRun(int layer, int sequenceId, int start, int maxCount);

    /// <summary>Columns [<paramref name="column"/>, + <paramref name="width"/>) of the key rows of a run of positions (as
    /// <see cref="KeyRun"/>, at most <paramref name="maxCount"/>), widened to F32 into <paramref name="destination"/>
    /// [n·width]; returns n. For a quantized type, <paramref name="column"/> and <paramref name="width"/> are multiples of 32.</summary>
    int ReadKeys(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination);

    /// <summary>The value columns of a run of positions, as <see cref="ReadKeys"/>.</summary>
    int ReadValues(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination);
}
