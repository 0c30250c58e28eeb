using System.Runtime.InteropServices;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;

namespace Wafer.Engine.KvCache;

/// <summary>The F32 keys and values of every KV block, in native memory, addressed through per-sequence block tables.</summary>
public sealed unsafe class PagedKvStorage : IKvCache, IDisposable
{
    private readonly int _layerCount;
    private readonly int _kvLength;
    private readonly int _blockSize;
    private readonly long _layerStride;  // floats per layer: blocks × blockSize × kvLength
    private float* _keys;                // [layer, block, blockSize, kvLength]
    private float* _values;              // [layer, block, blockSize, kvLength]
    private IReadOnlyList<int>[] _tables = [];

    /// <summary>Allocates <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> tokens for <paramref name="config"/>.</summary>
    public PagedKvStorage(ModelConfig config, int blockCount, int blockSize)
    {
        _layerCount = config.LayerCount;
        _kvLength = config.KvLength;
        _blockSize = blockSize;
        BlockCount = blockCount;
        _layerStride = (long)blockCount * blockSize * _kvLength;
        nuint bytes = (nuint)(_layerStride * _layerCount * sizeof(float));
        _keys = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _values = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        TotalBytes = 2L * (long)bytes;
    }

    /// <summary>Blocks held.</summary>
    public int BlockCount { get; }

    /// <summary>Bytes of native memory held.</summary>
    public long TotalBytes { get; }

    /// <summary>Bytes one token takes in every layer (keys and values).</summary>
    public static long BytesPerToken(ModelConfig config) => 2L * config.LayerCount * config.KvLength * sizeof(float);

    /// <summary>Sets the block table of forward-batch sequence <paramref name="sequenceId"/> (0-based, dense).</summary>
    public void Bind(int sequenceId, IReadOnlyList<int> blockTable)
    {
        if (sequenceId >= _tables.Length) Array.Resize(ref _tables, Math.Max(sequenceId + 1, _tables.Length * 2));
        _tables[sequenceId] = blockTable;
    }

    /// <inheritdoc/>
    public Span<float> KeyRow(int layer, int sequenceId, int position) => new(Row(_keys, layer, sequenceId, position), _kvLength);

    /// <inheritdoc/>
    public Span<float> ValueRow(int layer, int sequenceId, int position) => new(Row(_values, layer, sequenceId, position), _kvLength);

    /// <inheritdoc/>
    public Span<float> KeyRun(int layer, int sequenceId, int start, int maxCount) =>
        new(Row(_keys, layer, sequenceId, start), RunLength(start, maxCount) * _kvLength);

    /// <inheritdoc/>
    public Span<float> ValueRun(int layer, int sequenceId, int start, int maxCount) =>
        new(Row(_values, layer, sequenceId, start), RunLength(start, maxCount) * _kvLength);

    // Positions of one block are consecutive rows; the next block may be anywhere.
    private int RunLength(int start, int maxCount) => Math.Clamp(maxCount, 1, _blockSize - start % _blockSize);

    private float* Row(float* baseAddress, int layer, int sequenceId, int position)
    {
        int block = _tables[sequenceId][position / _blockSize];
        return baseAddress + layer * _layerStride + ((long)block * _blockSize + position % _blockSize) * _kvLength;
    }

    /// <summary>Frees the native memory.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = _values = null;
    }
}
