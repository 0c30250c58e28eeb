using System.IO.MemoryMappedFiles;
using Wafer.Kernels;
using Wafer.Kernels.Quantization;

namespace Wafer.Models.Gguf;

/// <summary>A GGUF v2/v3 model file, memory-mapped: metadata, tensor directory and zero-copy tensor data.</summary>
/// <remarks>
/// Layout: magic "GGUF", version, tensor count, metadata count, metadata key/values, tensor infos,
/// padding to <c>general.alignment</c> (default 32), then tensor data at aligned offsets.
/// Every size read from the file is checked against the file length before it is trusted.
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>Default data alignment when <c>general.alignment</c> is absent.</summary>
    public const int DefaultAlignment = 32;

    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const int MaxDimensions = 4;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private bool _disposed;

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>File size in bytes.</summary>
    public long FileBytes { get; }

    /// <summary>GGUF format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Metadata, in file order.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>The tensor directory, in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Byte offset of the data section from the start of the file.</summary>
    public long DataOffset { get; }

    /// <summary>Alignment of tensor data in bytes.</summary>
    public int Alignment { get; }

    private GgufFile(string path)
    {
        Path = path;
        string name = System.IO.Path.GetFileName(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' does not exist", path);
        FileBytes = new FileInfo(path).Length;
        if (FileBytes < 24) throw new GgufFormatException($"model file '{name}': {FileBytes} bytes is too small to be a GGUF file");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset;
            HugePages.Advise(_base, FileBytes); // advice only; weights stream with fewer TLB misses where the kernel can back them
            var cursor = new GgufCursor(_base, FileBytes, name);
            uint magic = cursor.U32("magic");
            if (magic != Magic) throw cursor.Error($"not a GGUF file (magic 0x{magic:X8}, expected 'GGUF')");
            Version = cursor.U32("version");
            if (Version is not (2 or 3)) throw cursor.Error($"GGUF version {Version} is not supported; supported: 2, 3");
            long tensorCount = cursor.Count("tensor count", 8 + 4 + 4 + 8);
            long kvCount = cursor.Count("metadata count", 8 + 4 + 1);
            Metadata = GgufMetadata.Read(cursor, kvCount);
            Alignment = (int)Metadata.GetUInt64OrDefault("general.alignment", DefaultAlignment);
            if (Alignment <= 0 || (Alignment & (Alignment - 1)) != 0)
                throw cursor.Error($"general.alignment {Alignment} is not a power of two");
            var tensors = ReadTensorInfos(cursor, tensorCount);
            DataOffset = AlignUp(cursor.Position, Alignment);
            ValidateTensors(cursor, tensors);
            Tensors = tensors;
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(tensors.Count, StringComparer.Ordinal);
            foreach (var t in tensors)
                if (!_tensorsByName.TryAdd(t.Name, t)) throw cursor.Error($"tensor '{t.Name}' appears twice");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens and validates a GGUF file.</summary>
    /// <exception cref="GgufFormatException">The file is not a readable GGUF file.</exception>
    public static GgufFile Open(string path) => new(path);

    private static List<GgufTensorInfo> ReadTensorInfos(GgufCursor cursor, long count)
    {
        var tensors = new List<GgufTensorInfo>((int)Math.Min(count, 1 << 16));
        for (long i = 0; i < count; i++)
        {
            string name = cursor.String($"name of tensor {i}");
            uint dimCount = cursor.U32($"dimension count of tensor '{name}'");
            if (dimCount > MaxDimensions) throw cursor.Error($"tensor '{name}' has {dimCount} dimensions; at most {MaxDimensions} are allowed");
            var dims = new long[dimCount];
            for (int d = 0; d < dimCount; d++)
            {
                ulong n = cursor.U64($"dimension {d} of tensor '{name}'");
                if (n > long.MaxValue / 2) throw cursor.Error($"tensor '{name}' has dimension {d} of {n}");
                dims[d] = (long)n;
            }
            uint typeId = cursor.U32($"type of tensor '{name}'");
            long offset = (long)Math.Min(cursor.U64($"offset of tensor '{name}'"), long.MaxValue);
            tensors.Add(new GgufTensorInfo(name, (GgmlType)typeId, dims, offset, ByteCountOf(cursor, name, typeId, dims)));
        }
        return tensors;
    }

    private static long ByteCountOf(GgufCursor cursor, string name, uint typeId, long[] dims)
    {
        var type = (GgmlType)typeId;
        if (!TensorTypes.HasLayout(type)) throw cursor.Error($"tensor '{name}' has unknown type id {typeId}");
        long elements = 1;
        foreach (var d in dims)
        {
            if (d != 0 && elements > long.MaxValue / d) throw cursor.Error($"tensor '{name}' shape [{string.Join(", ", dims)}] overflows");
            elements *= d;
        }
        long rowLength = dims.Length == 0 ? 1 : dims[0];
        int blockSize = TensorTypes.BlockSize(type);
        if (rowLength % blockSize != 0)
            throw cursor.Error($"tensor '{name}' has rows of {rowLength} elements, not a multiple of the {type} block size {blockSize}");
        return elements / blockSize * TensorTypes.BlockBytes(type);
    }

    private void ValidateTensors(GgufCursor cursor, List<GgufTensorInfo> tensors)
    {
        foreach (var t in tensors)
        {
            if (t.Offset % Alignment != 0)
                throw cursor.Error($"tensor '{t.Name}' data offset {t.Offset} is not aligned to {Alignment} bytes");
            if (t.Offset > FileBytes || t.ByteCount > FileBytes - DataOffset - t.Offset)
                throw cursor.Error($"tensor '{t.Name}' data ({t.ByteCount} bytes at offset {DataOffset + t.Offset}) runs past the end of the file ({FileBytes} bytes); the file is truncated or corrupt");
        }
    }

    private static long AlignUp(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

    /// <summary>Looks up a tensor by name.</summary>
    public bool TryGetTensor(string name, out GgufTensorInfo tensor) => _tensorsByName.TryGetValue(name, out tensor!);

    /// <summary>Looks up a tensor by name, failing with a message that names the file and the tensor.</summary>
    public GgufTensorInfo GetTensor(string name) =>
        TryGetTensor(name, out var t) ? t : throw new GgufFormatException($"model file '{System.IO.Path.GetFileName(Path)}' has no tensor '{name}'");

    /// <summary>Pointer to the first byte of a tensor's data; valid until this file is disposed.</summary>
    public byte* DataPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + DataOffset + tensor.Offset;
    }

    /// <summary>A tensor's bytes (tensors under 2 GiB).</summary>
    public ReadOnlySpan<byte> Data(GgufTensorInfo tensor)
    {
        if (tensor.ByteCount > int.MaxValue) throw new NotSupportedException($"tensor '{tensor.Name}' is {tensor.ByteCount} bytes; use DataPointer for tensors over 2 GiB");
        return new ReadOnlySpan<byte>(DataPointer(tensor), (int)tensor.ByteCount);
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_base != null) _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _map?.Dispose();
    }
}
