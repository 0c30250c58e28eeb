using System.Runtime.InteropServices;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Engine.KvCache;

/// <summary>The keys and values of every KV block (F32, F16 or Q8_0 rows: <see cref="KvType"/>), in native memory,
/// addressed through per-sequence block tables. Rows are converted as they are written and widened as attention reads them;
/// blocks are shared, evicted and rolled back as whole blocks whatever their type.</summary>
public sealed unsafe class PagedKvStorage : IKvCache, IDisposable
{
    private readonly int _layerCount;
    private readonly int _kvLength;
    private readonly int _blockSize;
    private readonly int _keyRowBytes, _valueRowBytes;
    private readonly long _keyLayerStride, _valueLayerStride;  // bytes per layer: blocks × blockSize × row bytes
    private byte* _keys;                                       // [layer, block, blockSize, key row]
    private byte* _values;                                     // [layer, block, blockSize, value row]
    private IReadOnlyList<int>[] _tables = [];

    /// <summary>Allocates <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> tokens for <paramref name="config"/>,
    /// keys stored as <paramref name="keyType"/> and values as <paramref name="valueType"/>.</summary>
    public PagedKvStorage(ModelConfig config, int blockCount, int blockSize, KvType keyType = KvType.F32, KvType valueType = KvType.F32)
    {
        keyType.Require(config.HeadDim, "--kv-type (or -ctk)");
        valueType.Require(config.HeadDim, "--kv-type (or -ctv)");
        _layerCount = config.LayerCount;
        _kvLength = config.KvLength;
        _blockSize = blockSize;
        KeyType = keyType;
        ValueType = valueType;
        BlockCount = blockCount;
        _keyRowBytes = keyType.RowBytes(_kvLength);
        _valueRowBytes = valueType.RowBytes(_kvLength);
        long rows = (long)blockCount * blockSize;
        _keyLayerStride = rows * _keyRowBytes;
        _valueLayerStride = rows * _valueRowBytes;
        _keys = (byte*)NativeMemory.AlignedAlloc((nuint)(_keyLayerStride * _layerCount), 64);
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)(_valueLayerStride * _layerCount), 64);
        TotalBytes = (_keyLayerStride + _valueLayerStride) * _layerCount;
    }

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

    /// <summary>Sets the block table of forward-batch sequence <paramref name="sequenceId"/> (0-based, dense).</summary>
    public void Bind(int sequenceId, IReadOnlyList<int> blockTable)
    {
        if (sequenceId >= _tables.Length) Array.Resize(ref _tables, Math.Max(sequenceId + 1, _tables.Length * 2));
        _tables[sequenceId] = blockTable;
    }

    /// <inheritdoc/>
    public void Write(int layer, int sequenceId, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        KeyType.Encode(key, new Span<byte>(Row(_keys, _keyLayerStride, _keyRowBytes, layer, sequenceId, position), _keyRowBytes));
        ValueType.Encode(value, new Span<byte>(Row(_values, _valueLayerStride, _valueRowBytes, layer, sequenceId, position), _valueRowBytes));
    }

    /// <inheritdoc/>
    public Span<float> KeyRun(int layer, int sequenceId, int start, int maxCount) => F32Run(KeyType, _keys, _keyLayerStride, layer, sequenceId, start, maxCount);

    /// <inheritdoc/>
    public Span<float> ValueRun(int layer, int sequenceId, int start, int maxCount) => F32Run(ValueType, _values, _valueLayerStride, layer, sequenceId, start, maxCount);

    private Span<float> F32Run(KvType type, byte* baseAddress, long layerStride, int layer, int sequenceId, int start, int maxCount)
    {
        if (type != KvType.F32) throw new InvalidOperationException($"a {type.Name()} cache is read with ReadKeys/ReadValues");
        return new(Row(baseAddress, layerStride, _kvLength * sizeof(float), layer, sequenceId, start), RunLength(start, maxCount) * _kvLength);
    }

    /// <inheritdoc/>
    public int ReadKeys(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination) =>
        Read(KeyType, _keys, _keyLayerStride, _keyRowBytes, layer, sequenceId, start, maxCount, column, width, destination);

    /// <inheritdoc/>
    public int ReadValues(int layer, int sequenceId, int start, int maxCount, int column, int width, Span<float> destination) =>
        Read(ValueType, _values, _valueLayerStride, _valueRowBytes, layer, sequenceId, start, maxCount, column, width, destination);

    private int Read(KvType type, byte* baseAddress, long layerStride, int rowBytes, int layer, int sequenceId, int start, int maxCount,
        int column, int width, Span<float> destination)
    {
        int n = RunLength(start, maxCount);
        byte* first = Row(baseAddress, layerStride, rowBytes, layer, sequenceId, start); // a run's rows are consecutive
        for (int r = 0; r < n; r++) type.Decode(new ReadOnlySpan<byte>(first + (long)r * rowBytes, rowBytes), column, destination.Slice(r * width, width));
        return n;
    }

    // Positions of one block are consecutive rows; the next block may be anywhere.
    private int RunLength(int start, int maxCount) => Math.Clamp(maxCount, 1, _blockSize - start % _blockSize);

    private byte* Row(byte* baseAddress, long layerStride, int rowBytes, int layer, int sequenceId, int position)
    {
        int block = _tables[sequenceId][position / _blockSize];
        return baseAddress + layer * layerStride + ((long)block * _blockSize + position % _blockSize) * rowBytes;
    }

    /// <summary>Frees the native memory.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = _values = null;
    }
}
