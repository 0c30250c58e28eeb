using Wafer.Kernels;

namespace Wafer.Models.Quantization;

/// <summary>A target of <c>wafer quantize</c> (llama.cpp's <c>llama_ftype</c>): its name, its <c>general.file_type</c> and its default tensor type.</summary>
public sealed record QuantizationScheme(string Name, uint FileType, GgmlType DefaultType)
{
    /// <summary>The schemes Wafer writes, by llama-quantize's names.</summary>
    public static IReadOnlyList<QuantizationScheme> All { get; } =
    [
        new("F16", 1, GgmlType.F16),
        new("Q4_0", 2, GgmlType.Q4_0),
        new("Q8_0", 7, GgmlType.Q8_0),
        new("Q5_0", 8, GgmlType.Q5_0),
        new("Q4_K_M", 15, GgmlType.Q4_K),
        new("Q6_K", 18, GgmlType.Q6_K),
    ];

    /// <summary>True for Q4_K_M, whose attn_v and ffn_down layers get Q6_K where <see cref="QuantizationPlanner.UseMoreBits"/> says so.</summary>
    public bool IsQ4KM => FileType == 15;

    /// <summary>The scheme named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No scheme has that name.</exception>
    public static QuantizationScheme Parse(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"quantization type '{name}' is not supported; supported: {string.Join(", ", All.Select(s => s.Name))}");
}
