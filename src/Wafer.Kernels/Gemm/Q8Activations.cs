using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Gemm;

/// <summary>Per-block values of Q8_0 activation rows that every weight row reuses: the scale as F32, −offset·Σy per 4-byte lane
/// (for <see cref="Q8Gemm"/>) and per block (for <see cref="InterleavedGemm"/>).</summary>
internal static unsafe class Q8Activations
{
    /// <summary>Bytes <see cref="Prepare"/> writes for <paramref name="batch"/> rows of <paramref name="blocks"/> blocks.</summary>
    public static long Bytes(int batch, int blocks) => (long)batch * blocks * (sizeof(float) + 9 * sizeof(int));

    /// <summary>
    /// From Q8_0 rows [batch, blocks·34 bytes] writes scales [batch·blocks] and corrections [batch·blocks, 8]
    /// where correction lane l = −<paramref name="offset"/>·Σ_{k&lt;4} y[4l + k], and, where <paramref name="blockCorrections"/> is given,
    /// blockCorrections [batch·blocks] = the sum of the block's 8 lanes.
    /// </summary>
    public static void Prepare(byte* rows, int batch, int blocks, int offset, float* scales, int* corrections, int* blockCorrections = null)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int ib = 0; ib < blocks; ib++)
            {
                byte* block = rows + ((long)b * blocks + ib) * 34;
                long i = (long)b * blocks + ib;
                scales[i] = HalfTable.ToSingle(block);
                int* c = corrections + i * 8;
                if (Avx2.IsSupported)
                {
                    Vector256<sbyte> y = Vector256.Load((sbyte*)(block + 2));
                    Vector256<short> pairs = Avx2.MultiplyAddAdjacent(Vector256.Create((byte)1), y);
                    Vector256<int> lanes = Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
                    (lanes * -offset).Store(c);
                }
                else
                {
                    for (int l = 0; l < 8; l++)
                    {
                        sbyte* y = (sbyte*)(block + 2 + 4 * l);
                        c[l] = -offset * (y[0] + y[1] + y[2] + y[3]);
                    }
                }
                if (blockCorrections != null) blockCorrections[i] = c[0] + c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7];
            }
        }
    }
}
