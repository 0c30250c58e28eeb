using Wafer.Kernels;
using Wafer.Kernels.Quantization;
using Wafer.Models.Gguf;

namespace Wafer.Models.Quantization;

/// <summary>Rewrites a GGUF model in another <see cref="QuantizationScheme"/>, as llama-quantize does, so llama.cpp reads the result.</summary>
/// <remarks>
/// Step 1: metadata is copied in order; general.quantization_version (2) and general.file_type are removed and
/// appended, as gguf_set_val does. Step 2: tensors are written in llama.cpp's weights_map order
/// (<see cref="WeightNameComparer"/>); each gets its type from <see cref="QuantizationPlanner"/>;
/// a tensor already in that type is copied, others are converted row by row (source → F32 → target, with the
/// reference quantizers llama-quantize uses when there is no imatrix). Step 3: the file is written with the source's alignment.
/// </remarks>
public static class ModelQuantizer
{
    /// <summary>ggml's GGML_QNT_VERSION.</summary>
    public const uint QuantizationVersion = 2;

    /// <summary>One converted tensor: where it came from and what it became.</summary>
    public sealed record TensorReport(string Name, GgmlType From, GgmlType To, long Bytes);

    /// <summary>Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/>; <paramref name="progress"/> gets (tensors done, tensor count).</summary>
    public static IReadOnlyList<TensorReport> Quantize(string inputPath, string outputPath, QuantizationScheme scheme, IProgress<(int Done, int Count)>? progress = null)
    {
        using var input = GgufFile.Open(inputPath);
        var writer = new GgufWriter { Alignment = input.Alignment };
        // Step 1
        foreach (var e in input.Metadata.Entries)
            if (e.Key is not ("general.quantization_version" or GgufNames.FileType)) writer.Metadata.Set(e.Key, e.Type, e.Value);
        writer.Metadata.Set("general.quantization_version", GgufValueType.UInt32, QuantizationVersion);
        writer.Metadata.Set(GgufNames.FileType, GgufValueType.UInt32, scheme.FileType);

        // Step 2
        var planner = new QuantizationPlanner(scheme, input.Tensors);
        var reports = new List<TensorReport>();
        var ordered = input.Tensors.Order(WeightNameComparer.Instance).ToArray();
        for (int i = 0; i < ordered.Length; i++)
        {
            var tensor = ordered[i];
            var type = planner.Choose(tensor);
            byte[] data = type == tensor.Type ? input.Data(tensor).ToArray() : Convert(input, tensor, type);
            writer.AddTensor(tensor.Name, type, tensor.Dimensions, data);
            reports.Add(new TensorReport(tensor.Name, tensor.Type, type, data.Length));
            progress?.Report((i + 1, ordered.Length));
        }

        // Step 3
        writer.Write(outputPath);
        return reports;
    }

    private static byte[] Convert(GgufFile input, GgufTensorInfo tensor, GgmlType type)
    {
        string file = Path.GetFileName(input.Path);
        if (!TensorTypes.IsSupported(tensor.Type))
            throw new NotSupportedException($"model file '{file}': tensor '{tensor.Name}' has type {tensor.Type}, which Wafer cannot read; supported: {string.Join(", ", TensorTypes.Supported)}");
        int columns = checked((int)tensor.RowLength);
        long rows = tensor.RowCount;
        var from = TensorTypes.Get(tensor.Type);
        var to = TensorTypes.Get(type);
        int sourceRowBytes = (int)TensorTypes.RowBytes(tensor.Type, columns);
        int targetRowBytes = (int)TensorTypes.RowBytes(type, columns);
        var source = input.Data(tensor).ToArray();
        var target = new byte[checked(targetRowBytes * rows)];
        Parallel.For(0, (int)rows, () => new float[columns], (r, _, row) =>
        {
            from.Dequantize(source.AsSpan(checked((int)(r * (long)sourceRowBytes)), sourceRowBytes), row);
            to.Quantize(row, target.AsSpan(checked((int)(r * (long)targetRowBytes)), targetRowBytes));
            return row;
        }, _ => { });
        return target;
    }

    /// <summary>llama.cpp's <c>weight_name_comparer</c>: tensors outside layers first, then by layer number, then by name (ordinal).</summary>
    private sealed class WeightNameComparer : IComparer<GgufTensorInfo>
    {
        public static readonly WeightNameComparer Instance = new();

        public int Compare(GgufTensorInfo? a, GgufTensorInfo? b)
        {
            int la = Layer(a!.Name), lb = Layer(b!.Name);
            return la != lb ? la.CompareTo(lb) : string.CompareOrdinal(a.Name, b.Name);
        }

        private static int Layer(string name)
        {
            if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
            int end = name.IndexOf('.', 4);
            return int.TryParse(name.AsSpan(4, (end < 0 ? name.Length : end) - 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int layer) ? layer : -1;
        }
    }
}
