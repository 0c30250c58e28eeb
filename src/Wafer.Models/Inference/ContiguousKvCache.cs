using Wafer.Models.Architectures;

namespace Wafer.Models.Inference;

/// <summary>An F32 KV cache with one contiguous region per sequence, sized for the full context. Given an F16 or Q8_0 type it
/// rounds each row as it is written (to F16 and back, or through a Q8_0 block and back): the numbers attention then reads are
/// those a paged cache of that type widens, so teacher-forced fidelity can measure a KV type without the engine.</summary>
public sealed class ContiguousKvCache : IKvCache
{
    private readonly ModelConfig _config;
    private readonly int _capacity;
    private readonly KvType _keyRounding, _valueRounding;
    private readonly byte[] _encoded; // one row in the rounding type, reused
    private readonly Dictionary<int, float[][]> _keys = []; // sequence → [layer][capacity, kvLength]
    private readonly Dictionary<int, float[][]> _values = [];

    /// <summary>Creates a cache holding up to <paramref name="capacity"/> positions per sequence.</summary>
    public ContiguousKvCache(ModelConfig config, int capacity, KvType keyRounding = KvType.F32, KvType valueRounding = KvType.F32)
    {
        keyRounding.Require(config.HeadDim, "--kv-type (or -ctk)");
        valueRounding.Require(config.HeadDim, "--kv-type (or -ctv)");
        _config = config;
        _capacity = capacity;
        _keyRounding = keyRounding;
        _valueRounding = valueRounding;
        _encoded = new byte[Math.Max(keyRounding.RowBytes(config.KvLength), valueRounding.RowBytes(config.KvLength))];
    }

    /// <summary>Positions each sequence can hold.</summary>
    public int Capacity => _capacity;

    /// <inheritdoc/>
    public KvType KeyType => KvType.F32;

    /// <inheritdoc/>
    public KvType ValueType => KvType.F32;

    /// <inheritdoc/>
    public void Write(int layer, int sequenceId, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        Round(_keyRounding, key, Rows(_keys, layer, sequenceId, position, 1));
        Round(_valueRounding, value, Rows(_values, layer, sequenceId, position, 1));
    }

    private void Round(KvType type, ReadOnlySpan<float> row, Span<float> destination)
    {
        if (type == KvType.F32)
        {
            row.CopyTo(destination);
            return;
        }
        var encoded = _encoded.AsSpan(0, type.RowBytes(row.Length));
        type.Encode(row, encoded);
        type.Decode(encoded, 0, destination);
    }

    /// <inheritdoc/>
    public int ReadKeys(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination) =>
        Copy(Rows(_keys, layer, sequenceId, start, maxCount), column, width, destination);

    /// <inheritdoc/>
    public int ReadValues(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination) =>
        Copy(Rows(_values, layer, sequenceId, start, maxCount), column, width, destination);

    private int Copy(Span<float> rows, int column, int width, Span<float> destination)
    {
        int n = rows.Length / _config.KvLength;
        for (int r = 0; r < n; r++) rows.Slice(r * _config.KvLength + column, width).CopyTo(destination.Slice(r * width, width));
        return n;
    }

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
