using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>Repacks Q8_0, Q4_0 and Q5_0 weight matrices into groups of 8 interleaved rows (<see cref="IInterleavedBlock"/>) for
/// <see cref="InterleavedGemm"/>, as llama.cpp's CPU "repack" buffers do (for Q4_0; the layout carries over to Q8_0 and Q5_0).</summary>
/// <remarks>The repacked matrix has the same size as the GGUF one: group G (rows 8G … 8G+7) starts at byte 8G·rowBytes and holds
/// the groups' blocks in column order, each block the 8 rows' F16 scales and their quants.</remarks>
public static unsafe class Interleaved8
{
    /// <summary>Whether this machine has the kernels for interleaved weights (AVX-VNNI with FMA).</summary>
    public static bool IsSupported => InterleavedGemm.IsSupported;

    /// <summary>Whether a [<paramref name="rows"/>, <paramref name="columns"/>] matrix of <paramref name="type"/> can be repacked and
    /// this machine has the kernels to use it (AVX-VNNI).</summary>
    public static bool CanRepack(GgmlType type, int rows, int columns) =>
        IsSupported && type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 && rows > 0 && rows % 8 == 0 && columns % 32 == 0;

    /// <summary>Writes the repacked form of the GGUF-layout <paramref name="source"/> [rows, columns] to <paramref name="destination"/>
    /// (the same number of bytes), for row groups [<paramref name="groupStart"/>, <paramref name="groupEnd"/>).</summary>
    public static void Repack(GgmlType type, byte* source, byte* destination, int columns, int groupStart, int groupEnd)
    {
        int blocks = columns / 32;
        int blockBytes = type switch
        {
            GgmlType.Q8_0 => 34,
            GgmlType.Q4_0 => 18,
            GgmlType.Q5_0 => 22,
            _ => throw new ArgumentException($"{type} has no interleaved layout; Q8_0, Q4_0 and Q5_0 do", nameof(type)),
        };
        long rowBytes = (long)blocks * blockBytes;
        uint flip = type == GgmlType.Q8_0 ? 0x80808080u : 0u; // Q8_0 quants become unsigned q + 128
        int fifthBits = type == GgmlType.Q5_0 ? 4 : 0;        // Q5_0: qh, rearranged, before the nibbles
        int groups = (blockBytes - 2 - fifthBits) / 4;        // 4-byte quant groups per GGUF block: 8 (Q8_0), 4 (Q4_0, Q5_0)
        int fifthBytes = 8 * fifthBits;
        for (int group = groupStart; group < groupEnd; group++)
        {
            byte* rows = source + group * 8 * rowBytes;
            byte* packed = destination + group * 8 * rowBytes;
            for (int ib = 0; ib < blocks; ib++)
            {
                byte* block = packed + (long)ib * 8 * blockBytes;
                for (int r = 0; r < 8; r++)
                {
                    byte* original = rows + r * rowBytes + (long)ib * blockBytes;
                    ((ushort*)block)[r] = *(ushort*)original;
                    if (fifthBits != 0) *(uint*)(block + 16 + 4 * r) = RearrangeFifthBits(*(uint*)(original + 2));
                    for (int g = 0; g < groups; g++)
                        *(uint*)(block + 16 + fifthBytes + 32 * g + 4 * r) = *(uint*)(original + 2 + fifthBits + 4 * g) ^ flip;
                }
            }
        }
    }

    // Bit 4g + t of qh (quant 4g + t's fifth bit) becomes bit g of byte t (see Q5_0x8Block).
    private static uint RearrangeFifthBits(uint qh)
    {
        uint result = 0;
        for (int k = 0; k < 32; k++) result |= ((qh >> k) & 1) << (8 * (k % 4) + k / 4);
        return result;
    }
}
