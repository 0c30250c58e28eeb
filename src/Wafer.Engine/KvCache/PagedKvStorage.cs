using System.Runtime.InteropServices;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Engine.KvCache;

/// <summary>The keys and values of every KV block (F32, F16 or Q8_0 rows: <see cref="KvType"/>), in native memory,
/// addressed through per-sequence block tables. Rows are converted as they are written and widened as attention reads them;
/// blocks are shared, evicted and rolled back as whole blocks whatever their type.</summary>
/// <remarks>Under <c>--adaptive</c> a sequence may be stored at a narrower precision tier than the cache's own: every block takes the
/// bytes of one full-precision block in each layer, and a tier's block holds as many of its narrower rows as fit
/// (<see cref="TierBlockSizes"/>: 16 F32 tokens a block hold 32 F16 or 60 Q8_0 ones), so memory moves freely between the tiers.</remarks>
public sealed unsafe class PagedKvStorage : IKvCache, IDisposable
{
    private readonly int _layerCount;
    private readonly int _kvLength;
    private readonly Tier[] _tiers;
    private readonly long _keyBlockBytes, _valueBlockBytes;    // bytes of one block in one layer: blockSize × full-precision row bytes
    private readonly long _keyLayerStride, _valueLayerStride;  // bytes per layer: blocks × block bytes
    private byte* _keys;                                       // [layer, block, key rows of the block's tier]
    private byte* _values;                                     // [layer, block, value rows of the block's tier]
    private IReadOnlyList<int>[] _tables = [];
    private int[] _sequenceTiers = [];

    /// <summary>One precision tier: its row types, their bytes, and tokens per block.</summary>
    private readonly record struct Tier(KvType Key, KvType Value, int KeyRowBytes, int ValueRowBytes, int BlockSize);

    /// <summary>Allocates <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> tokens for <paramref name="config"/>,
    /// keys stored as <paramref name="keyType"/> and values as <paramref name="valueType"/>.</summary>
    /// <param name="reduced">The narrower tier of <c>--adaptive</c> (tier 1), or null for one tier.</param>
    public PagedKvStorage(ModelConfig config, int blockCount, int blockSize, KvType keyType = KvType.F32, KvType valueType = KvType.F32, KvPrecision? reduced = null)
    {
        keyType.Require(config.HeadDim, "--kv-type (or -ctk)");
        valueType.Require(config.HeadDim, "--kv-type (or -ctv)");
        _layerCount = config.LayerCount;
        _kvLength = config.KvLength;
        KeyType = keyType;
        ValueType = valueType;
        BlockCount = blockCount;
        var sizes = TierBlockSizes(config, blockSize, new KvPrecision(keyType, valueType), reduced);
        _tiers = new Tier[sizes.Length];
        _tiers[0] = new Tier(keyType, valueType, keyType.RowBytes(_kvLength), valueType.RowBytes(_kvLength), blockSize);
        if (reduced is { } r) _tiers[1] = new Tier(r.Key, r.Value, r.Key.RowBytes(_kvLength), r.Value.RowBytes(_kvLength), sizes[1]);
        _keyBlockBytes = (long)blockSize * _tiers[0].KeyRowBytes;
        _valueBlockBytes = (long)blockSize * _tiers[0].ValueRowBytes;
        _keyLayerStride = blockCount * _keyBlockBytes;
        _valueLayerStride = blockCount * _valueBlockBytes;
        _keys = (byte*)NativeMemory.AlignedAlloc((nuint)(_keyLayerStride * _layerCount), 64);
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)(_valueLayerStride * _layerCount), 64);
        TotalBytes = (_keyLayerStride + _valueLayerStride) * _layerCount;
    }

    /// <summary>Tokens per block of each precision tier (<see cref="TierBlockSizes"/>), for the <see cref="KvCacheManager"/>'s bookkeeping.</summary>
    public IReadOnlyList<int> BlockSizes => Array.ConvertAll(_tiers, t => t.BlockSize);

    /// <summary>Blocks held.</summary>
    public int BlockCount { get; }

    /// <summary>Bytes of native memory held.</summary>
    public long TotalBytes { get; }

    /// <inheritdoc/>
    public KvType KeyType { get; }

    /// <inheritdoc/>
    public KvType ValueType { get; }

    /// <summary>Bytes one token takes in every layer (keys and values) with these types.</summary>
    public static long BytesPerToken(ModelConfig config, KvType keyType = KvType.F32, KvType valueType = KvType.F32) =>
        (long)config.LayerCount * (keyType.RowBytes(config.KvLength) + valueType.RowBytes(config.KvLength));

    /// <summary>Tokens per block of each tier: <paramref name="blockSize"/> at <paramref name="full"/> precision, then as many
    /// <paramref name="reduced"/> rows (keys and values alike) as fit in the same bytes.</summary>
    public static int[] TierBlockSizes(ModelConfig config, int blockSize, KvPrecision full, KvPrecision? reduced)
    {
        if (reduced is not { } r) return [blockSize];
        int kv = config.KvLength;
        long keyBytes = (long)blockSize * full.Key.RowBytes(kv), valueBytes = (long)blockSize * full.Value.RowBytes(kv);
        return [blockSize, (int)Math.Min(keyBytes / r.Key.RowBytes(kv), valueBytes / r.Value.RowBytes(kv))];
    }

    /// <summary>Sets the block table of forward-batch sequence <paramref name="sequenceId"/> (0-based, dense) and the precision
    /// tier it is stored at.</summary>
    public void Bind(int sequenceId, IReadOnlyList<int> blockTable, int tier = 0)
    {
        if ((uint)tier >= (uint)_tiers.Length) throw new ArgumentOutOfRangeException(nameof(tier), $"the cache has {_tiers.Length} precision tier(s)");
        if (sequenceId >= _tables.Length)
        {
            Array.Resize(ref _tables, Math.Max(sequenceId + 1, _tables.Length * 2));
            Array.Resize(ref _sequenceTiers, _tables.Length);
        }
        _tables[sequenceId] = blockTable;
        _sequenceTiers[sequenceId] = tier;
    }

    /// <inheritdoc/>
    public KvType KeyTypeOf(int sequenceId) => _tiers[_sequenceTiers[sequenceId]].Key;

    /// <inheritdoc/>
    public KvType ValueTypeOf(int sequenceId) => _tiers[_sequenceTiers[sequenceId]].Value;

    /// <inheritdoc/>
    public void Write(int layer, int sequenceId, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        var tier = _tiers[_sequenceTiers[sequenceId]];
        tier.Key.Encode(key, new Span<byte>(Row(keys: true, layer, sequenceId, position), tier.KeyRowBytes));
        tier.Value.Encode(value, new Span<byte>(Row(keys: false, layer, sequenceId, position), tier.ValueRowBytes));
    }

    /// <inheritdoc/>
    public Span<float> KeyRun(int layer, int sequenceId, int start, int maxCount) => F32Run(keys: true, layer, sequenceId, start, maxCount);

    /// <inheritdoc/>
    public Span<float> ValueRun(int layer, int sequenceId, int start, int maxCount) => F32Run(keys: false, layer, sequenceId, start, maxCount);

    private Span<float> F32Run(bool keys, int layer, int sequenceId, int start, int maxCount)
    {
        var tier = _tiers[_sequenceTiers[sequenceId]];
        var type = keys ? tier.Key : tier.Value;
        if (type != KvType.F32) throw new InvalidOperationException($"a {type.Name()} sequence is read with ReadKeys/ReadValues");
        return new(Row(keys, layer, sequenceId, start), RunLength(tier, start, maxCount) * _kvLength);
    }

    /// <inheritdoc/>
    public int ReadKeys(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination) =>
        Read(keys: true, layer, sequenceId, start, maxCount, column, width, destination);

    /// <inheritdoc/>
    public int ReadValues(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination) =>
        Read(keys: false, layer, sequenceId, start, maxCount, column, width, destination);

    private int Read(bool keys, int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination)
    {
        var tier = _tiers[_sequenceTiers[sequenceId]];
        var type = keys ? tier.Key : tier.Value;
        int rowBytes = keys ? tier.KeyRowBytes : tier.ValueRowBytes;
        int n = RunLength(tier, start, maxCount);
        byte* first = Row(keys, layer, sequenceId, start); // a run's rows are consecutive
        if (type == KvType.F16) // the whole run in one call: a row of one head is only 4–8 vectors
            Wafer.Kernels.Ops.KvRowCodec.HalfRowsToSingle(new ReadOnlySpan<ushort>((ushort*)first + column, (n - 1) * rowBytes / 2 + width),
                rowBytes / 2, n, destination[..(n * width)]);
        else
            for (int r = 0; r < n; r++) type.Decode(new ReadOnlySpan<byte>(first + (long)r * rowBytes, rowBytes), column, destination.Slice(r * width, width));
        return n;
    }

    // Positions of one block are consecutive rows; the next block may be anywhere.
    private static int RunLength(Tier tier, int start, int maxCount) => Math.Clamp(maxCount, 1, tier.BlockSize - start % tier.BlockSize);

    private byte* Row(bool keys, int layer, int sequenceId, int position)
    {
        var tier = _tiers[_sequenceTiers[sequenceId]];
        int block = _tables[sequenceId][position / tier.BlockSize];
        long offset = (long)(position % tier.BlockSize) * (keys ? tier.KeyRowBytes : tier.ValueRowBytes);
        return keys ? _keys + layer * _keyLayerStride + block * _keyBlockBytes + offset
            : _values + layer * _valueLayerStride + block * _valueBlockBytes + offset;
    }

    /// <summary>Frees the native memory.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = _values = null;
    }
}
