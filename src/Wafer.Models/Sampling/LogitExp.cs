using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels.Ops;

namespace Wafer.Models.Sampling;

/// <summary>The unnormalised softmax of a logits span in one pass: e^(logit/divisor − max) per token and double sums per block,
/// so a token can be drawn without sorting or normalising the vocabulary.</summary>
/// <remarks>Exp is <see cref="VectorExp.Exp"/> (within 2 ulp of exp), 8 lanes at a time with FMA; each block's sum is kept in 8 double
/// lanes folded as ((l0+l4)+(l1+l5))+((l2+l6)+(l3+l7)). <see cref="ExpSumsScalar"/> is the twin, bit for bit.</remarks>
internal static class LogitExp
{
    /// <summary>Tokens per block sum.</summary>
    public const int BlockLength = 256;

    /// <summary>How many block sums a vocabulary of <paramref name="length"/> tokens needs.</summary>
    public static int BlockCount(int length) => (length + BlockLength - 1) / BlockLength;

    /// <summary>exps[i] = e^(logits[i]/divisor − max) (skipped when <paramref name="exps"/> is empty), blockSums[b] = Σ of block b;
    /// returns Σ blockSums in block order. <paramref name="max"/> is max(logits)/divisor, so every exponent is ≤ 0.</summary>
    public static double ExpSums(ReadOnlySpan<float> logits, float divisor, float max, Span<float> exps, Span<double> blockSums)
    {
        if (!Fma.IsSupported) return ExpSumsScalar(logits, divisor, max, exps, blockSums);
        ref float p = ref MemoryMarshal.GetReference(logits);
        ref float e = ref MemoryMarshal.GetReference(exps);
        bool store = !exps.IsEmpty;
        int n = logits.Length;
        var shift = Vector256.Create(max);
        var scale = Vector256.Create(divisor);
        double total = 0;
        for (int start = 0, b = 0; start < n; start += BlockLength, b++)
        {
            int end = Math.Min(start + BlockLength, n), i = start;
            Vector256<double> low = default, high = default;
            for (; i + 8 <= end; i += 8)
            {
                Vector256<float> x = VectorExp.Exp(Vector256.LoadUnsafe(ref p, (nuint)i) / scale - shift);
                if (store) x.StoreUnsafe(ref e, (nuint)i);
                low += Avx.ConvertToVector256Double(x.GetLower());
                high += Avx.ConvertToVector256Double(x.GetUpper());
            }
            Vector256<double> lanes = low + high;
            double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
            for (; i < end; i++)
            {
                float x = VectorExp.ExpScalar(logits[i] / divisor - max);
                if (store) exps[i] = x;
                sum += x;
            }
            blockSums[b] = sum;
            total += sum;
        }
        return total;
    }

    /// <summary>The scalar twin of <see cref="ExpSums"/>.</summary>
    public static double ExpSumsScalar(ReadOnlySpan<float> logits, float divisor, float max, Span<float> exps, Span<double> blockSums)
    {
        Span<double> lanes = stackalloc double[8];
        int n = logits.Length;
        double total = 0;
        for (int start = 0, b = 0; start < n; start += BlockLength, b++)
        {
            int end = Math.Min(start + BlockLength, n), vectorized = start + ((end - start) & ~7);
            lanes.Clear();
            for (int i = start; i < vectorized; i++)
            {
                float x = VectorExp.ExpScalar(logits[i] / divisor - max);
                if (!exps.IsEmpty) exps[i] = x;
                lanes[(i - start) % 8] += x;
            }
            double sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
            for (int i = vectorized; i < end; i++)
            {
                float x = VectorExp.ExpScalar(logits[i] / divisor - max);
                if (!exps.IsEmpty) exps[i] = x;
                sum += x;
            }
            blockSums[b] = sum;
            total += sum;
        }
        return total;
    }

    /// <summary>The first token whose running sum of <paramref name="exps"/> exceeds <paramref name="target"/> (in [0, total)),
    /// found block by block; when rounding leaves the target beyond the sum, the last token with a nonzero weight there.</summary>
    public static int Find(ReadOnlySpan<float> exps, ReadOnlySpan<double> blockSums, double target)
    {
        double cumulative = 0;
        int lastBlock = blockSums.Length - 1;
        for (int b = 0; b < blockSums.Length; b++)
        {
            if (target >= cumulative + blockSums[b] && b < lastBlock)
            {
                cumulative += blockSums[b];
                continue;
            }
            int end = Math.Min((b + 1) * BlockLength, exps.Length), last = -1;
            for (int i = b * BlockLength; i < end; i++)
            {
                if (exps[i] > 0) last = i;
                cumulative += exps[i];
                if (target < cumulative) return i;
            }
            if (last >= 0) return last;
            break;
        }
        for (int i = exps.Length - 1; i > 0; i--)
            if (exps[i] > 0) return i;
        return 0;
    }
}
