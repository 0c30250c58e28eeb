using Wafer.Kernels.Gemm;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Ops;

/// <summary>Matrix product of GGUF-form weights with F32 activations: y[b, r] = Σ_c W[r, c] · x[b, c].</summary>
/// <remarks>
/// Step 1: each activation row is converted to the weight type's activation type (Q8_0, Q8_K, F16 …), as ggml does;
/// for the Q8_0 family (Q8_0, Q4_0, Q5_0) per-block scales and offset corrections are precomputed too (rows split over
/// the pool when there are 16 or more).
/// Step 2: weight rows are split over the worker pool in tiles of 4; the Q8_0 family runs register tiles of
/// 4 rows × 4 activations (<see cref="Q8Gemm"/>) over activation chunks that stay in L2, and 4 rows × 1 activation for the rest
/// (decode); Q4_K and Q6_K run 1 row × 4 activations (<see cref="Q4KGemm"/>, <see cref="Q6KGemm"/>) and 1 × 1 for the rest;
/// other types call the type's dot product once per (row, activation). Either way a weight row is read from memory once per chunk.
/// The 1-activation kernels prefetch the weights about 8 KiB ahead: decode is a single pass over memory, and the hardware
/// prefetcher alone leaves half the bandwidth unused.
/// Q8_0, Q4_0 and Q5_0 weights repacked into 8 interleaved rows (<see cref="WeightLayout.Interleaved8"/>) run
/// <see cref="InterleavedGemm"/> instead: 8 rows × 8 activations, 8 × 4, 8 × 1, with items of 8 rows.
/// </remarks>
public static unsafe class MatMul
{
    /// <summary>Bytes of scratch <see cref="Compute"/> needs for <paramref name="batch"/> activation rows of <paramref name="columns"/>.</summary>
    public static long ScratchBytes(ITensorTypeKernels weights, int columns, int batch) =>
        TensorTypes.RowBytes(weights.ActivationType, columns) * batch
        + (weights.ActivationType == GgmlType.Q8_0 ? Q8Activations.Bytes(batch, columns / 32) + 128 : 0); // + alignment of the two prepared arrays

    /// <summary>output [batch, rows] = input [batch, columns] × weightsᵀ, with weights [rows, columns] in <paramref name="kernels"/>' type.</summary>
    /// <param name="inputUnchanged">The caller's promise that <paramref name="input"/> and <paramref name="scratch"/> are what they were
    /// at this thread's previous call (Q, K and V of one hidden state; gate and up): step 1 is skipped when that call prepared the
    /// same activation layout in the same scratch.</param>
    /// <param name="layout">How <paramref name="weights"/> are laid out: as in the GGUF file, or repacked by <see cref="Interleaved8.Repack"/>.</param>
    public static void Compute(ITensorTypeKernels kernels, byte* weights, int rows, int columns,
        ReadOnlySpan<float> input, int batch, Span<byte> scratch, Span<float> output, WorkerPool pool, bool inputUnchanged = false,
        WeightLayout layout = WeightLayout.Gguf)
    {
        if (layout == WeightLayout.Interleaved8 && !Interleaved8.CanRepack(kernels.Type, rows, columns))
            throw new ArgumentException($"a [{rows}, {columns}] {kernels.Type} matrix has no interleaved layout on this machine (Q8_0, Q4_0 or Q5_0, rows a multiple of 8, AVX-VNNI)", nameof(layout));
        int activationRowBytes = (int)TensorTypes.RowBytes(kernels.ActivationType, columns);
        if (scratch.Length < ScratchBytes(kernels, columns, batch))
            throw new ArgumentException($"scratch holds {scratch.Length} bytes, {ScratchBytes(kernels, columns, batch)} needed", nameof(scratch));
        if (output.Length < (long)batch * rows)
            throw new ArgumentException($"output holds {output.Length} floats, {(long)batch * rows} needed", nameof(output));
        fixed (byte* activations = scratch)
        fixed (float* inputs = input)
        fixed (float* outputs = output)
        {
            var job = MatMulJob.ForThisThread;
            job.Kernels = kernels;
            job.Weights = weights;
            job.WeightRowBytes = TensorTypes.RowBytes(kernels.Type, columns);
            job.Rows = rows;
            job.Columns = columns;
            job.Activations = activations;
            job.ActivationRowBytes = activationRowBytes;
            job.Batch = batch;
            job.Output = outputs;
            job.Family = layout == WeightLayout.Interleaved8 ? InterleavedFamilyOf(kernels.Type) : FamilyOf(kernels.Type);

            var prepare = ActivationJob.ForThisThread;
            prepare.ActivationType = kernels.ActivationType;
            prepare.Input = inputs;
            prepare.Columns = columns;
            prepare.Activations = activations;
            prepare.ActivationRowBytes = activationRowBytes;
            prepare.Offset = 0;
            if (job.Family is not (MatMulJob.WeightFamily.Other or MatMulJob.WeightFamily.Q4_K or MatMulJob.WeightFamily.Q6_K))
            {
                int blocks = columns / 32;
                byte* prepared = (byte*)(((nint)(activations + (long)batch * activationRowBytes) + 63) & ~(nint)63);
                job.Scales = prepare.Scales = (float*)prepared;
                job.Corrections = prepare.Corrections = (int*)(prepared + (((long)batch * blocks * sizeof(float) + 31) & ~31L));
                job.BlockCorrections = prepare.BlockCorrections = job.Corrections + (long)batch * blocks * 8;
                prepare.Offset = job.Family switch
                {
                    MatMulJob.WeightFamily.Q8_0 or MatMulJob.WeightFamily.Q8_0x8 => 128,
                    MatMulJob.WeightFamily.Q4_0 or MatMulJob.WeightFamily.Q4_0x8 => 8,
                    MatMulJob.WeightFamily.Q5_0 or MatMulJob.WeightFamily.Q5_0x8 => 16,
                    _ => throw new InvalidOperationException($"{job.Family} prepares no Q8_0 activations"),
                };
            }
            var activationLayout = new ActivationJob.Layout(prepare.ActivationType, prepare.Offset, columns, batch, (nint)activations);
            if (!inputUnchanged || prepare.Prepared != activationLayout)
            {
                prepare.Prepared = default; // until every row is done
                pool.For(batch, 8, prepare);
                prepare.Prepared = activationLayout;
            }
            bool interleaved = MatMulJob.IsInterleaved(job.Family);
            int items = interleaved ? rows / 8 : (rows + 3) / 4, minChunk = interleaved ? 2 : 4;
            // Decode: one contiguous range of rows per thread. Streaming it beats claiming many smaller chunks (smollm2 Q4_0
            // tg128 ≈ 1.3×, bench engine); prompt batches keep small chunks, which balance better.
            if (batch == 1) minChunk = Math.Max(minChunk, items / pool.ThreadCount);
            pool.For(items, minChunk, job);
            job.Kernels = null;
        }
    }

    private static MatMulJob.WeightFamily InterleavedFamilyOf(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => MatMulJob.WeightFamily.Q8_0x8,
        GgmlType.Q4_0 => MatMulJob.WeightFamily.Q4_0x8,
        _ => MatMulJob.WeightFamily.Q5_0x8,
    };

    private static MatMulJob.WeightFamily FamilyOf(GgmlType type) => type switch
    {
        GgmlType.Q8_0 when Q8Gemm.IsSupported => MatMulJob.WeightFamily.Q8_0,
        GgmlType.Q4_0 when Q8Gemm.IsSupported => MatMulJob.WeightFamily.Q4_0,
        GgmlType.Q5_0 when Q8Gemm.IsSupported => MatMulJob.WeightFamily.Q5_0,
        GgmlType.Q4_K when Q4KGemm.IsSupported => MatMulJob.WeightFamily.Q4_K,
        GgmlType.Q6_K when Q6KGemm.IsSupported => MatMulJob.WeightFamily.Q6_K,
        _ => MatMulJob.WeightFamily.Other,
    };
}

/// <summary>How a weight matrix's bytes are laid out.</summary>
public enum WeightLayout
{
    /// <summary>Row after row, as stored in the GGUF file.</summary>
    Gguf,

    /// <summary>Groups of 8 rows interleaved 4 quants at a time (<see cref="Interleaved8"/>): Q8_0, Q4_0 and Q5_0.</summary>
    Interleaved8,
}
