namespace Wafer.Kernels.Quantization;

/// <summary>The non-linear 4-bit grid of IQ4_NL/IQ4_XS and ggml's search for its scales (<c>quantize_row_iq4_nl_impl</c>).</summary>
internal static class IQ4NLQuantizer
{
    /// <summary>ggml's <c>kvalues_iq4nl</c>: the 16 levels a 4-bit index selects, ascending.</summary>
    public static ReadOnlySpan<sbyte> Values => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>Mirrors <c>best_index_int8</c>: the nearest level, ties to the upper one; <paramref name="n"/> is a power of 2.</summary>
    public static int BestIndexInt8(int n, ReadOnlySpan<sbyte> values, float x)
    {
        float x2 = x + x;
        int index = 0;
        for (int step = n >> 1; step > 0; step >>= 1)
        {
            int j = index + step;
            index = x2 >= (float)(values[j - 1] + values[j]) ? j : index;
        }

        return index;
    }

    /// <summary>
    /// Mirrors <c>quantize_row_iq4_nl_impl</c> with 16 levels and no importance weights, for one super-block.
    /// With one block per super-block (IQ4_NL) only <paramref name="dh"/> and <paramref name="q4"/> are written.
    /// </summary>
    /// <param name="x">The super-block's values [superBlockSize].</param>
    /// <param name="dh">Receives the F16 super-block scale.</param>
    /// <param name="q4">Receives the packed indices [superBlockSize/2].</param>
    /// <param name="scalesH">Receives the high 2 bits of each block scale (IQ4_XS only).</param>
    /// <param name="scalesL">Receives the low 4 bits of each block scale (IQ4_XS only).</param>
    /// <param name="scales">Scratch [superBlockSize/blockSize].</param>
    /// <param name="weight">Scratch [blockSize].</param>
    /// <param name="levels">Scratch [superBlockSize].</param>
    /// <param name="ntry">Scale candidates each side of the first guess (ggml: 7 in quantize_iq4_nl/xs, −1 in quantize_row_iq4_nl_ref).</param>
    public static void QuantizeSuperBlock(
        int superBlockSize, int blockSize, ReadOnlySpan<float> x, out Half dh, Span<byte> q4, out ushort scalesH, Span<byte> scalesL,
        Span<float> scales, Span<float> weight, Span<byte> levels, int ntry)
    {
        const int nvalues = 16;
        ReadOnlySpan<sbyte> values = Values;
        q4[..(superBlockSize / 2)].Clear();
        dh = (Half)0f;
        scalesH = 0;

        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < superBlockSize / blockSize; ++ib)
        {
            ReadOnlySpan<float> xb = x.Slice(ib * blockSize, blockSize);
            Span<byte> lb = levels.Slice(ib * blockSize, blockSize);
            for (int j = 0; j < blockSize; ++j)
            {
                weight[j] = xb[j] * xb[j];
            }

            float max = QuantMath.LargestMagnitude(xb, out float amax);

            if (amax < QuantMath.GroupMaxEps)
            {
                scales[ib] = 0;
                lb.Clear();
                continue;
            }

            float d = ntry > 0 ? -max / values[0] : max / values[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < blockSize; ++j)
            {
                float al = id * xb[j];
                int l = BestIndexInt8(nvalues, values, al);
                lb[j] = (byte)l;
                float q = values[l];
                float w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }

            d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry)
            {
                id = (itry + values[0]) / max;
                sumqx = sumq2 = 0;
                for (int j = 0; j < blockSize; ++j)
                {
                    float al = id * xb[j];
                    int l = BestIndexInt8(nvalues, values, al);
                    float q = values[l];
                    float w = weight[j];
                    sumqx += w * q * xb[j];
                    sumq2 += w * q * q;
                }

                if (sumq2 > 0 && sumqx * sumqx > best * sumq2)
                {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }

            scales[ib] = d;
            float absD = MathF.Abs(d);
            if (absD > amaxScale)
            {
                amaxScale = absD;
                maxScale = d;
            }
        }

        if (superBlockSize / blockSize > 1)
        {
            float d = -maxScale / 32;
            dh = (Half)d;
            float id = d != 0 ? 1 / d : 0.0f;
            for (int ib = 0; ib < superBlockSize / blockSize; ++ib)
            {
                int l = QuantMath.NearestInt(id * scales[ib]);
                l = Math.Max(-32, Math.Min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.0f;
                Span<byte> lb = levels.Slice(ib * blockSize, blockSize);
                ReadOnlySpan<float> xb = x.Slice(ib * blockSize, blockSize);
                for (int j = 0; j < blockSize; ++j)
                {
                    lb[j] = (byte)BestIndexInt8(nvalues, values, idl * xb[j]);
                }

                l += 32;
                byte lowBits = (byte)(l & 0xf);
                int highBits = l >> 4;
                if (ib % 2 == 0)
                {
                    scalesL[ib / 2] = lowBits;
                }
                else
                {
                    scalesL[ib / 2] |= (byte)(lowBits << 4);
                }

                scalesH |= (ushort)(highBits << (2 * (ib % 8)));
            }
        }
        else
        {
            dh = (Half)scales[0];
            if (ntry > 0)
            {
                float id = scales[0] != 0 ? 1 / scales[0] : 0;
                for (int j = 0; j < superBlockSize; ++j)
                {
                    levels[j] = (byte)BestIndexInt8(nvalues, values, id * x[j]);
                }
            }
        }

        for (int i = 0; i < superBlockSize / 32; ++i)
        {
            for (int j = 0; j < 16; ++j)
            {
                q4[16 * i + j] = (byte)(levels[32 * i + j] | (levels[32 * i + 16 + j] << 4));
            }
        }
    }
}
