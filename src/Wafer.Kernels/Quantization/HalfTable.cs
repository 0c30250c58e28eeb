using System.Runtime.CompilerServices;

namespace Wafer.Kernels.Quantization;

/// <summary>F16 → F32 through a 65,536-entry table, as ggml's <c>ggml_table_f32_f16</c>: one load instead of a software conversion.</summary>
/// <remarks>Block scales cluster in a narrow range, so the entries in use stay in L1/L2.</remarks>
internal static unsafe class HalfTable
{
    private static readonly float* Table = Build(); // [65536], never freed (256 KiB for the process)

    /// <summary>The F32 value of the F16 whose bits start at <paramref name="half"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(byte* half) => Table[*(ushort*)half];

    private static float* Build()
    {
        var table = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++) table[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return table;
    }
}
