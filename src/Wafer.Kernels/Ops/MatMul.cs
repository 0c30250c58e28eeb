using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Ops;

/// <summary>Matrix product of GGUF-form weights with F32 activations: y[b, r] = Σ_c W[r, c] · x[b, c].</summary>
/// <remarks>
/// Step 1: each activation row is converted to the weight type's activation type (Q8_0, Q8_K, F16 …), as ggml does.
/// Step 2: weight rows are split over the worker pool; each row is dotted with every converted activation row,
/// so a weight row is read from memory once per batch.
/// </remarks>
public static unsafe class MatMul
{
    /// <summary>Bytes of scratch <see cref="Compute"/> needs for <paramref name="batch"/> activation rows of <paramref name="columns"/>.</summary>
    public static long ScratchBytes(ITensorTypeKernels weights, int columns, int batch) =>
        TensorTypes.RowBytes(weights.ActivationType, columns) * batch;

    /// <summary>output [batch, rows] = input [batch, columns] × weightsᵀ, with weights [rows, columns] in <paramref name="kernels"/>' type.</summary>
    public static void Compute(ITensorTypeKernels kernels, byte* weights, int rows, int columns,
        ReadOnlySpan<float> input, int batch, Span<byte> scratch, Span<float> output, WorkerPool pool)
    {
        int activationRowBytes = (int)TensorTypes.RowBytes(kernels.ActivationType, columns);
        for (int b = 0; b < batch; b++)
            ActivationQuantizer.Quantize(kernels.ActivationType, input.Slice(b * columns, columns), scratch.Slice(b * activationRowBytes, activationRowBytes));

        long weightRowBytes = TensorTypes.RowBytes(kernels.Type, columns);
        fixed (byte* activations = scratch)
        fixed (float* outputs = output)
        {
            byte* a = activations;
            float* y = outputs;
            pool.For(rows, 16, (start, end) =>
            {
                for (int r = start; r < end; r++)
                {
                    var row = new ReadOnlySpan<byte>(weights + r * weightRowBytes, (int)weightRowBytes);
                    for (int b = 0; b < batch; b++)
                        y[(long)b * rows + r] = kernels.Dot(row, new ReadOnlySpan<byte>(a + (long)b * activationRowBytes, activationRowBytes), columns);
                }
            });
        }
    }
}
