using Wafer.Kernels;

namespace Wafer.Models.Gguf;

/// <summary>Writes a model as several GGUF files, as llama.cpp's <c>gguf-split</c> does: the first part carries the metadata,
/// every part <c>split.no</c>, <c>split.count</c> and <c>split.tensors.count</c>, and the tensors go in order, a run per part.</summary>
public static class GgufSplit
{
    /// <summary>Writes <paramref name="source"/> as <paramref name="parts"/> files <c>PREFIX-0000k-of-0000N.gguf</c> and returns
    /// their paths in order; the tensors are spread so the parts hold about the same bytes.</summary>
    public static IReadOnlyList<string> Write(GgufFile source, string prefix, int parts)
    {
        if (parts < 1 || parts > source.Tensors.Count) throw new ArgumentOutOfRangeException(nameof(parts), $"{parts} parts for {source.Tensors.Count} tensors");
        long total = source.Tensors.Sum(t => t.ByteCount), perPart = (total + parts - 1) / parts;
        var groups = new List<List<GgufTensorInfo>> { new() };
        long bytes = 0;
        foreach (var t in source.Tensors)
        {
            int remaining = source.Tensors.Count - groups.Sum(g => g.Count);
            if (groups[^1].Count > 0 && groups.Count < parts && (bytes >= perPart || remaining <= parts - groups.Count))
            {
                groups.Add([]);
                bytes = 0;
            }
            groups[^1].Add(t);
            bytes += t.ByteCount;
        }
        while (groups.Count < parts) throw new ArgumentOutOfRangeException(nameof(parts), $"could not spread {source.Tensors.Count} tensors over {parts} parts");
        var paths = new List<string>();
        var name = new SplitName(prefix, 1, parts);
        for (int i = 0; i < parts; i++)
        {
            var writer = new GgufWriter { Alignment = source.Alignment };
            if (i == 0)
                foreach (var e in source.Metadata.Entries)
                    if (!e.Key.StartsWith("split.", StringComparison.Ordinal)) writer.Metadata.Set(e.Key, e.Type, e.Value);
            writer.Metadata.Set("split.no", GgufValueType.UInt16, (ushort)i);
            writer.Metadata.Set("split.count", GgufValueType.UInt16, (ushort)parts);
            writer.Metadata.Set("split.tensors.count", GgufValueType.Int32, source.Tensors.Count);
            foreach (var t in groups[i]) writer.AddTensor(t.Name, t.Type, t.Dimensions, source.Data(t).ToArray());
            string path = name.PartPath(i + 1);
            writer.Write(path);
            paths.Add(path);
        }
        return paths;
    }
}
