using Wafer.Models.Architectures;

namespace Wafer.Models.Inference;

/// <summary>An F32 KV cache with one contiguous region per sequence, sized for the full context.</summary>
public sealed class ContiguousKvCache : IKvCache
{
    private readonly ModelConfig _config;
    private readonly int _capacity;
    private readonly Dictionary<int, float[][]> _keys = []; // sequence → [layer][capacity, kvLength]
    private readonly Dictionary<int, float[][]> _values = [];

    /// <summary>Creates a cache holding up to <paramref name="capacity"/> positions per sequence.</summary>
    public ContiguousKvCache(ModelConfig config, int capacity)
    {
        _config = config;
        _capacity = capacity;
    }

    /// <summary>Positions each sequence can hold.</summary>
    public int Capacity => _capacity;

    /// <inheritdoc/>
    public Span<float> KeyRow(int layer, int sequenceId, int position) => Rows(_keys, layer, sequenceId, position, 1);

    /// <inheritdoc/>
    public Span<float> ValueRow(int layer, int sequenceId, int position) => Rows(_values, layer, sequenceId, position, 1);

    /// <inheritdoc/>
    public Span<float> KeyRun(int layer, int sequenceId, int start, int maxCount) => Rows(_keys, layer, sequenceId, start, maxCount);

    /// <inheritdoc/>
    public Span<float> ValueRun(int layer, int sequenceId, int start, int maxCount) => Rows(_values, layer, sequenceId, start, maxCount);

    /// <summary>Forgets a sequence and frees its memory.</summary>
    public void Remove(int sequenceId)
    {
        _keys.Remove(sequenceId);
        _values.Remove(sequenceId);
    }

    private Span<float> Rows(Dictionary<int, float[][]> store, int layer, int sequenceId, int position, int maxCount)
    {
        if ((uint)position >= (uint)_capacity)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is outside the context of {_capacity} tokens");
        if (!store.TryGetValue(sequenceId, out var layers))
        {
            layers = new float[_config.LayerCount][];
            for (int l = 0; l < layers.Length; l++) layers[l] = new float[(long)_capacity * _config.KvLength];
            store[sequenceId] = layers;
        }
        int count = Math.Clamp(maxCount, 1, _capacity - position);
        return layers[layer].AsSpan(position * _config.KvLength, count * _config.KvLength);
    }
}
