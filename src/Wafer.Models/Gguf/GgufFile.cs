using System.IO.MemoryMappedFiles;
using Wafer.Kernels;
using Wafer.Kernels.Quantization;

namespace Wafer.Models.Gguf;

/// <summary>A GGUF v2/v3 model file, memory-mapped: metadata, tensor directory and zero-copy tensor data. A model split
/// into several files (llama.cpp's <c>gguf-split</c>: <c>name-00001-of-00003.gguf</c> …) opens as one, from any part.</summary>
/// <remarks>
/// Layout: magic "GGUF", version, tensor count, metadata count, metadata key/values, tensor infos,
/// padding to <c>general.alignment</c> (default 32), then tensor data at aligned offsets.
/// Every size read from the file is checked against the file length before it is trusted. The parts of a split model
/// carry <c>split.no</c>, <c>split.count</c> and <c>split.tensors.count</c>; the first holds the model's metadata.
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>Default data alignment when <c>general.alignment</c> is absent.</summary>
    public const int DefaultAlignment = 32;

    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const int MaxDimensions = 4;

    private readonly List<Part> _parts = [];
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private bool _disposed;

    /// <summary>The path the file was opened from (the first part of a split model).</summary>
    public string Path { get; }

    /// <summary>File size in bytes (of all parts).</summary>
    public long FileBytes { get; }

    /// <summary>GGUF format version (2 or 3).</summary>
    public uint Version => _parts[0].Version;

    /// <summary>Metadata, in file order (the first part's, for a split model).</summary>
    public GgufMetadata Metadata => _parts[0].Metadata;

    /// <summary>The tensor directory, in file order (parts in order).</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Byte offset of the data section from the start of the (first) file.</summary>
    public long DataOffset => _parts[0].DataOffset;

    /// <summary>Alignment of tensor data in bytes.</summary>
    public int Alignment => _parts[0].Alignment;

    /// <summary>The files of the model: one, or the parts of a split model in order.</summary>
    public IReadOnlyList<string> PartPaths => _parts.Select(p => p.Path).ToList();

    private GgufFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' does not exist", path);
        var split = SplitName.Parse(path);
        Path = split is { } first ? first.PartPath(1) : path;
        try
        {
            OpenPart(Path, 0);
            string name = System.IO.Path.GetFileName(Path);
            int count = (int)Metadata.GetInt64OrDefault("split.count", 1);
            if (count < 1 || count > 9999) throw new GgufFormatException($"model file '{name}': split.count {count} is out of range");
            if (count > 1 && split is null)
                throw new GgufFormatException($"model file '{name}' is part 1 of {count} but its name does not say where the others are (expected NAME-00001-of-{count:D5}.gguf)");
            if (split is { } s && s.Count != count)
                throw new GgufFormatException($"model file '{name}': its name says {s.Count} parts, its split.count says {count}");
            for (int i = 2; i <= count; i++)
            {
                string partPath = split!.Value.PartPath(i);
                if (!File.Exists(partPath))
                    throw new FileNotFoundException($"model '{name}' is split into {count} files and part {i} ('{System.IO.Path.GetFileName(partPath)}') is missing; download every part", partPath);
                var part = OpenPart(partPath, i - 1);
                long no = part.Metadata.GetInt64OrDefault("split.no", -1);
                if (no != i - 1) throw new GgufFormatException($"model file '{System.IO.Path.GetFileName(partPath)}' has split.no {no}; expected {i - 1}");
            }
            var tensors = _parts.SelectMany(p => p.Tensors).ToList();
            long expected = Metadata.GetInt64OrDefault("split.tensors.count", tensors.Count);
            if (expected != tensors.Count)
                throw new GgufFormatException($"model '{name}': split.tensors.count says {expected} tensors, its {count} parts hold {tensors.Count}");
            Tensors = tensors;
            FileBytes = _parts.Sum(p => p.FileBytes);
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(tensors.Count, StringComparer.Ordinal);
            foreach (var t in tensors)
                if (!_tensorsByName.TryAdd(t.Name, t)) throw new GgufFormatException($"model file '{name}': tensor '{t.Name}' appears twice");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private Part OpenPart(string path, int index)
    {
        var part = new Part(path);
        _parts.Add(part);
        string name = System.IO.Path.GetFileName(path);
        if (part.FileBytes < 24) throw new GgufFormatException($"model file '{name}': {part.FileBytes} bytes is too small to be a GGUF file");
        part.Map();
        HugePages.Advise(part.Base, part.FileBytes); // advice only; weights stream with fewer TLB misses where the kernel can back them
        var cursor = new GgufCursor(part.Base, part.FileBytes, name);
        uint magic = cursor.U32("magic");
        if (magic != Magic) throw cursor.Error($"not a GGUF file (magic 0x{magic:X8}, expected 'GGUF')");
        part.Version = cursor.U32("version");
        if (part.Version is not (2 or 3)) throw cursor.Error($"GGUF version {part.Version} is not supported; supported: 2, 3");
        long tensorCount = cursor.Count("tensor count", 8 + 4 + 4 + 8);
        long kvCount = cursor.Count("metadata count", 8 + 4 + 1);
        part.Metadata = GgufMetadata.Read(cursor, kvCount);
        part.Alignment = (int)part.Metadata.GetUInt64OrDefault("general.alignment", DefaultAlignment);
        if (part.Alignment <= 0 || (part.Alignment & (part.Alignment - 1)) != 0)
            throw cursor.Error($"general.alignment {part.Alignment} is not a power of two");
        var tensors = ReadTensorInfos(cursor, tensorCount, index);
        part.DataOffset = AlignUp(cursor.Position, part.Alignment);
        ValidateTensors(cursor, tensors, part);
        part.Tensors = tensors;
        return part;
    }

    /// <summary>One mapped file of a model.</summary>
    private sealed class Part(string path) : IDisposable
    {
        private MemoryMappedFile? _map;
        private MemoryMappedViewAccessor? _view;

        public string Path { get; } = path;
        public long FileBytes { get; } = LengthOf(path);
        public byte* Base { get; private set; }
        public uint Version { get; set; }
        public GgufMetadata Metadata { get; set; } = null!;
        public int Alignment { get; set; }
        public long DataOffset { get; set; }
        public List<GgufTensorInfo> Tensors { get; set; } = [];

        /// <summary>The length of the file <paramref name="file"/> names, through symbolic links (the Hugging Face cache's
        /// snapshot files are links to blobs; a link's own length is that of its target's name).</summary>
        private static long LengthOf(string file)
        {
            var info = new FileInfo(file);
            if (info.LinkTarget == null) return info.Length;
            return info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target ? target.Length
                : throw new FileNotFoundException($"model file '{file}' is a link to '{info.LinkTarget}', which does not exist", file);
        }

        public void Map()
        {
            _map = MemoryMappedFile.CreateFromFile(Path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            Base = p + _view.PointerOffset;
        }

        public void Dispose()
        {
            if (Base != null) _view?.SafeMemoryMappedViewHandle.ReleasePointer();
            Base = null;
            _view?.Dispose();
            _map?.Dispose();
        }
    }

    /// <summary>Opens and validates a GGUF file (every part of a split model).</summary>
    /// <exception cref="GgufFormatException">The file is not a readable GGUF file.</exception>
    public static GgufFile Open(string path) => new(path);

    private static List<GgufTensorInfo> ReadTensorInfos(GgufCursor cursor, long count, int part)
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
            tensors.Add(new GgufTensorInfo(name, (GgmlType)typeId, dims, offset, ByteCountOf(cursor, name, typeId, dims)) { Part = part });
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
        long blocks = elements / blockSize;
        int blockBytes = TensorTypes.BlockBytes(type);
        if (blocks > long.MaxValue / blockBytes) throw cursor.Error($"tensor '{name}' shape [{string.Join(", ", dims)}] of {type} is more than 2^63 bytes");
        return blocks * blockBytes;
    }

    private static void ValidateTensors(GgufCursor cursor, List<GgufTensorInfo> tensors, Part part)
    {
        foreach (var t in tensors)
        {
            if (t.Offset % part.Alignment != 0)
                throw cursor.Error($"tensor '{t.Name}' data offset {t.Offset} is not aligned to {part.Alignment} bytes");
            if (t.Offset > part.FileBytes || t.ByteCount > part.FileBytes - part.DataOffset - t.Offset)
                throw cursor.Error($"tensor '{t.Name}' data ({t.ByteCount} bytes at offset {part.DataOffset + t.Offset}) runs past the end of the file ({part.FileBytes} bytes); the file is truncated or corrupt");
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
        var part = _parts[tensor.Part];
        return part.Base + part.DataOffset + tensor.Offset;
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
        foreach (var part in _parts) part.Dispose();
    }
}

/// <summary>The name of one part of a split model: <c>PREFIX-00002-of-00005.gguf</c> (parts numbered from 1).</summary>
public readonly record struct SplitName(string Prefix, int Number, int Count)
{
    private static readonly System.Text.RegularExpressions.Regex Pattern =
        new(@"^(?<prefix>.*)-(?<no>\d{5})-of-(?<count>\d{5})\.gguf$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The split name of <paramref name="path"/>, or null when it names a whole model.</summary>
    public static SplitName? Parse(string path)
    {
        var m = Pattern.Match(path);
        if (!m.Success) return null;
        int no = int.Parse(m.Groups["no"].Value), count = int.Parse(m.Groups["count"].Value);
        return no >= 1 && no <= count ? new SplitName(m.Groups["prefix"].Value, no, count) : null;
    }

    /// <summary>The path of part <paramref name="number"/> (from 1).</summary>
    public string PartPath(int number) => $"{Prefix}-{number:D5}-of-{Count:D5}.gguf";
}
