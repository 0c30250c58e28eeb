namespace Wafer.Kernels.Quantization;

/// <summary>The scale searches ggml's K-quant reference quantizers use (ggml-quants.c), ported operation for operation.</summary>
/// <remarks>
/// Float expressions keep ggml's evaluation order and never fuse multiply-adds, because
/// ggml-quants.c lives in ggml-base, which is built for baseline x86-64 without FMA.
/// </remarks>
internal static class KQuantSolvers
{
    /// <summary>Mirrors <c>make_qx_quants</c> (symmetric, levels L ∈ [0, 2·nmax)); empty <paramref name="weights"/> means NULL.</summary>
    public static float MakeQxQuants(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> levels, int rmseType, ReadOnlySpan<float> weights)
    {
        float max = QuantMath.LargestMagnitude(x[..n], out float amax);

        if (amax < QuantMath.GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }

        float iscale = -nmax / max;
        if (rmseType == 0)
        {
            for (int i = 0; i < n; ++i)
            {
                int l = QuantMath.NearestInt(iscale * x[i]);
                levels[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, l)));
            }

            return 1 / iscale;
        }

        bool returnEarly = false;
        if (rmseType < 0)
        {
            rmseType = -rmseType;
            returnEarly = true;
        }

        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = QuantMath.NearestInt(iscale * x[i]);
            l = Math.Max(-nmax, Math.Min(nmax - 1, l));
            levels[i] = (sbyte)(l + nmax);
            float w = Weight(x[i], weights, i, rmseType);
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }

        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly)
        {
            return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        }

        float best = scale * sumlx;
        for (int step = -9; step <= 9; ++step)
        {
            if (step == 0)
            {
                continue;
            }

            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = QuantMath.NearestInt(iscale * x[i]);
                l = Math.Max(-nmax, Math.Min(nmax - 1, l));
                float w = Weight(x[i], weights, i, rmseType);
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }

            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; ++i)
                {
                    int l = QuantMath.NearestInt(iscale * x[i]);
                    levels[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, l)));
                }

                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }

        return scale;
    }

    private static float Weight(float x, ReadOnlySpan<float> weights, int i, int rmseType) =>
        !weights.IsEmpty ? weights[i]
        : rmseType == 1 ? x * x
        : rmseType == 2 ? 1
        : rmseType == 3 ? MathF.Abs(x)
        : MathF.Sqrt(MathF.Abs(x));

    /// <summary>Mirrors <c>make_q3_quants</c> (symmetric, levels L ∈ [0, 2·nmax)).</summary>
    public static float MakeQ3Quants(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> levels, bool doRmse)
    {
        float max = QuantMath.LargestMagnitude(x[..n], out float amax);

        if (amax < QuantMath.GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }

        float iscale = -nmax / max;
        if (doRmse)
        {
            float sumlx = 0;
            float suml2 = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = QuantMath.NearestInt(iscale * x[i]);
                l = Math.Max(-nmax, Math.Min(nmax - 1, l));
                levels[i] = (sbyte)l;
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }

            for (int itry = 0; itry < 5; ++itry)
            {
                int changedCount = 0;
                for (int i = 0; i < n; ++i)
                {
                    float w = x[i] * x[i];
                    float slx = sumlx - w * x[i] * levels[i];
                    if (slx > 0)
                    {
                        float sl2 = suml2 - w * levels[i] * levels[i];
                        int newL = QuantMath.NearestInt(x[i] * sl2 / slx);
                        newL = Math.Max(-nmax, Math.Min(nmax - 1, newL));
                        if (newL != levels[i])
                        {
                            slx += w * x[i] * newL;
                            sl2 += w * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                            {
                                levels[i] = (sbyte)newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++changedCount;
                            }
                        }
                    }
                }

                if (changedCount == 0)
                {
                    break;
                }
            }

            for (int i = 0; i < n; ++i)
            {
                levels[i] += (sbyte)nmax;
            }

            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }

        for (int i = 0; i < n; ++i)
        {
            int l = QuantMath.NearestInt(iscale * x[i]);
            l = Math.Max(-nmax, Math.Min(nmax - 1, l));
            levels[i] = (sbyte)(l + nmax);
        }

        return 1 / iscale;
    }

    /// <summary>Mirrors <c>make_qkx2_quants</c> (asymmetric: x ≈ scale·L − theMin, L ∈ [0, nmax]).</summary>
    public static float MakeQkx2Quants(
        int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels, out float theMin,
        Span<byte> levelsAux, float rmin, float rdelta, int nstep, bool useMad)
    {
        float min = x[0];
        float max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; ++i)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }

        if (min > 0) min = 0;
        if (max == min)
        {
            levels[..n].Clear();
            theMin = -min;
            return 0f;
        }

        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = QuantMath.NearestInt(iscale * (x[i] - min));
            levels[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * levels[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }

        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }

        for (int step = 0; step <= nstep; ++step)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = QuantMath.NearestInt(iscale * (x[i] - min));
                l = Math.Max(0, Math.Min(nmax, l));
                levelsAux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }

            float determinant = sumW * sumL2 - sumL * sumL;
            if (determinant > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / determinant;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / determinant;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }

                float curError = 0;
                for (int i = 0; i < n; ++i)
                {
                    float diff = thisScale * levelsAux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }

                if (curError < bestError)
                {
                    levelsAux[..n].CopyTo(levels);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }

        theMin = -min;
        return scale;
    }

    /// <summary>Mirrors <c>get_scale_min_k4</c>: the 6-bit scale and min of sub-block <paramref name="j"/> (0..7) in Q4_K/Q5_K.</summary>
    public static void GetScaleMinK4(int j, ReadOnlySpan<byte> q, out byte scale, out byte min)
    {
        if (j < 4)
        {
            scale = (byte)(q[j] & 63);
            min = (byte)(q[j + 4] & 63);
        }
        else
        {
            scale = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            min = (byte)((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
        }
    }

    /// <summary>Packs 8 6-bit scales and mins into 12 bytes the way <c>quantize_row_q4_K_ref</c> does.</summary>
    public static void PackScaleMinK4(int j, byte ls, byte lm, Span<byte> scales)
    {
        if (j < 4)
        {
            scales[j] = ls;
            scales[j + 4] = lm;
        }
        else
        {
            scales[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
            scales[j - 4] |= (byte)((ls >> 4) << 6);
            scales[j - 0] |= (byte)((lm >> 4) << 6);
        }
    }
}
