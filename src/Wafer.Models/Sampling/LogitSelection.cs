using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wafer.Models.Sampling;

/// <summary>Partial selection over a logits span: the k best tokens, the tokens above a threshold, the argmax, each with a scalar twin.</summary>
/// <remarks>"Best" is the chain's order contract: descending logit, ties by ascending id. Scanning ids in ascending order, a later
/// token with an equal logit never beats an earlier one, so a strict <c>&gt;</c> against the current k-th best is the whole test,
/// and the vector paths compare 8 logits at a time against it, touching the heap only for the few that pass.
/// Logits are assumed not to be NaN.</remarks>
internal static class LogitSelection
{
    /// <summary>Writes the min(k, n) best tokens of <paramref name="logits"/> [n] into <paramref name="destination"/> [≥ k],
    /// sorted best first; returns how many.</summary>
    public static int TopK(ReadOnlySpan<float> logits, int k, Span<TokenCandidate> destination)
    {
        int count = Fill(logits, k, destination);
        if (Vector256.IsHardwareAccelerated && count > 0)
        {
            ref float p = ref MemoryMarshal.GetReference(logits);
            Span<TokenCandidate> heap = destination[..count];
            int n = logits.Length, i = count;
            for (; i + 8 <= n; i += 8)
            {
                uint mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref p, (nuint)i), Vector256.Create(heap[0].Logit)).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int index = i + System.Numerics.BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    if (logits[index] > heap[0].Logit) ReplaceWorst(heap, index, logits[index]);
                }
            }
            for (; i < n; i++)
                if (logits[i] > heap[0].Logit) ReplaceWorst(heap, i, logits[i]);
        }
        else
        {
            Scan(logits, count, destination[..count]);
        }
        SortBestFirst(destination[..count]);
        return count;
    }

    /// <summary>The scalar twin of <see cref="TopK"/>.</summary>
    public static int TopKScalar(ReadOnlySpan<float> logits, int k, Span<TokenCandidate> destination)
    {
        int count = Fill(logits, k, destination);
        Scan(logits, count, destination[..count]);
        SortBestFirst(destination[..count]);
        return count;
    }

    /// <summary>Writes the tokens whose logit is ≥ <paramref name="threshold"/>, in id order, into <paramref name="destination"/>
    /// while it has room; returns how many there are (more than its length means some were not written).</summary>
    public static int AtLeast(ReadOnlySpan<float> logits, float threshold, Span<TokenCandidate> destination)
    {
        ref float p = ref MemoryMarshal.GetReference(logits);
        int n = logits.Length, i = 0, count = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(threshold);
            for (; i + 8 <= n; i += 8)
            {
                uint mask = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref p, (nuint)i), limit).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int index = i + System.Numerics.BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    if (count < destination.Length) destination[count] = new TokenCandidate { Id = index, Logit = logits[index] };
                    count++;
                }
            }
        }
        for (; i < n; i++)
        {
            if (!(logits[i] >= threshold)) continue;
            if (count < destination.Length) destination[count] = new TokenCandidate { Id = i, Logit = logits[i] };
            count++;
        }
        return count;
    }

    /// <summary>The scalar twin of <see cref="AtLeast"/>.</summary>
    public static int AtLeastScalar(ReadOnlySpan<float> logits, float threshold, Span<TokenCandidate> destination)
    {
        int count = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (!(logits[i] >= threshold)) continue;
            if (count < destination.Length) destination[count] = new TokenCandidate { Id = i, Logit = logits[i] };
            count++;
        }
        return count;
    }

    /// <summary>The id of the largest logit, ties to the lowest id (0 for an empty span or when nothing compares, e.g. NaN).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        float max = Wafer.Kernels.Ops.VectorMath.Max(logits);
        ref float p = ref MemoryMarshal.GetReference(logits);
        int n = logits.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var target = Vector256.Create(max);
            for (; i + 8 <= n; i += 8)
            {
                uint mask = Vector256.Equals(Vector256.LoadUnsafe(ref p, (nuint)i), target).ExtractMostSignificantBits();
                if (mask != 0) return i + System.Numerics.BitOperations.TrailingZeroCount(mask);
            }
        }
        for (; i < n; i++)
            if (logits[i] == max) return i;
        return 0;
    }

    /// <summary>The scalar twin of <see cref="ArgMax"/>.</summary>
    public static int ArgMaxScalar(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Sorts best first: descending logit, ties by ascending id (the order <see cref="TokenCandidates.Sort"/> gives).</summary>
    /// <remarks>A heapsort on the worst-at-the-root heap <see cref="TopK"/> builds: the order is total, so the result is the one
    /// sorted order, and unlike <see cref="MemoryExtensions.Sort{T, TComparer}(Span{T}, TComparer)"/> (which boxes the comparer
    /// and makes a delegate of it) nothing is allocated.</remarks>
    public static void SortBestFirst(Span<TokenCandidate> candidates)
    {
        for (int i = candidates.Length / 2 - 1; i >= 0; i--) SiftDown(candidates, i);
        for (int end = candidates.Length - 1; end > 0; end--)
        {
            (candidates[0], candidates[end]) = (candidates[end], candidates[0]);
            SiftDown(candidates[..end], 0);
        }
    }

    // The heap keeps the worst of the best-so-far at the root: smallest logit, ties by largest id.
    private static int Fill(ReadOnlySpan<float> logits, int k, Span<TokenCandidate> destination)
    {
        int count = Math.Min(Math.Max(k, 0), logits.Length);
        for (int i = 0; i < count; i++) destination[i] = new TokenCandidate { Id = i, Logit = logits[i] };
        for (int i = count / 2 - 1; i >= 0; i--) SiftDown(destination[..count], i);
        return count;
    }

    private static void Scan(ReadOnlySpan<float> logits, int start, Span<TokenCandidate> heap)
    {
        if (heap.Length == 0) return;
        for (int i = start; i < logits.Length; i++)
            if (logits[i] > heap[0].Logit) ReplaceWorst(heap, i, logits[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReplaceWorst(Span<TokenCandidate> heap, int id, float logit)
    {
        heap[0] = new TokenCandidate { Id = id, Logit = logit };
        SiftDown(heap, 0);
    }

    private static void SiftDown(Span<TokenCandidate> heap, int index)
    {
        int n = heap.Length;
        while (true)
        {
            int worst = index, left = 2 * index + 1, right = left + 1;
            if (left < n && Worse(heap[left], heap[worst])) worst = left;
            if (right < n && Worse(heap[right], heap[worst])) worst = right;
            if (worst == index) return;
            (heap[index], heap[worst]) = (heap[worst], heap[index]);
            index = worst;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Worse(in TokenCandidate a, in TokenCandidate b) => a.Logit < b.Logit || (a.Logit == b.Logit && a.Id > b.Id);
}
