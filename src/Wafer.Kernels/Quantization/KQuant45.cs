using Wafer.Kernels.Quantization.Blocks;

namespace Wafer.Kernels.Quantization;

/// <summary>The part <c>quantize_row_q4_K_ref</c> and <c>quantize_row_q5_K_ref</c> share: per-32 scales and mins, 6-bit packing, requantization.</summary>
internal static class KQuant45
{
    private const int Qk = QuantMath.SuperBlockSize;

    /// <summary>Writes the packed quants L [256] (values 0..nmax) into a block's quant bytes.</summary>
    public delegate void PackLevels(Span<byte> block, ReadOnlySpan<byte> levels);

    /// <summary>Quantizes whole super-blocks; blocks start d (F16), dmin (F16), scales [12] as in block_q4_K/block_q5_K.</summary>
    public static void Quantize(
        ReadOnlySpan<float> source, Span<byte> destination, int blockBytes, int nmax, float rmin, int nstep, PackLevels pack)
    {
        int nb = QuantMath.BlockCount(source.Length, Qk);
        QuantMath.RequireBytes(destination.Length, (long)nb * blockBytes, nameof(destination));
        Span<byte> levels = stackalloc byte[Qk];
        Span<byte> levelsAux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[Qk / 32];
        Span<float> scales = stackalloc float[Qk / 32];
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = source.Slice(i * Qk, Qk);
            Span<byte> block = destination.Slice(i * blockBytes, blockBytes);
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < Qk / 32; ++j)
            {
                float sumX2 = 0;
                for (int l = 0; l < 32; ++l) sumX2 += x[32 * j + l] * x[32 * j + l];
                float avX = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; ++l) weights[l] = avX + MathF.Abs(x[32 * j + l]);
                scales[j] = KQuantSolvers.MakeQkx2Quants(
                    32, nmax, x.Slice(32 * j, 32), weights, levels.Slice(32 * j, 32), out mins[j], levelsAux, rmin, 0.1f, nstep, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
            float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
            Span<byte> packedScales = block.Slice(4, 12);
            packedScales.Clear();
            for (int j = 0; j < Qk / 32; ++j)
            {
                byte ls = (byte)QuantMath.NearestInt(invScale * scales[j]);
                byte lm = (byte)QuantMath.NearestInt(invMin * mins[j]);
                ls = Math.Min((byte)63, ls);
                lm = Math.Min((byte)63, lm);
                KQuantSolvers.PackScaleMinK4(j, ls, lm, packedScales);
            }

            Half dHalf = (Half)(maxScale / 63.0f);
            Half dminHalf = (Half)(maxMin / 63.0f);
            BitConverter.TryWriteBytes(block, dHalf);
            BitConverter.TryWriteBytes(block[2..], dminHalf);

            for (int j = 0; j < Qk / 32; ++j)
            {
                KQuantSolvers.GetScaleMinK4(j, packedScales, out byte sc, out byte m);
                float d = (float)dHalf * sc;
                if (d == 0) continue;
                float dm = (float)dminHalf * m;
                for (int ii = 0; ii < 32; ++ii)
                {
                    int l = QuantMath.NearestInt((x[32 * j + ii] + dm) / d);
                    levels[32 * j + ii] = (byte)Math.Max(0, Math.Min(nmax, l));
                }
            }

            pack(block, levels);
        }
    }
}
