using Wafer.Kernels.Gemm;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Ops;

/// <summary>Step 1 of a matrix product over the worker pool: items are activation rows, each converted to the weights'
/// activation type and, for the Q8_0 family, given its per-block scales and corrections.</summary>
/// <remarks>One reusable instance per calling thread, so a forward pass allocates nothing.</remarks>
internal sealed unsafe class ActivationJob : IRangeWork
{
    [ThreadStatic] private static ActivationJob? s_forThisThread;

    public static ActivationJob ForThisThread => s_forThisThread ??= new ActivationJob();

    public GgmlType ActivationType;
    public float* Input;             // [Batch, Columns]
    public int Columns;
    public byte* Activations;        // [Batch, ActivationRowBytes]
    public int ActivationRowBytes;
    public int Offset;               // Q8_0 family: the weights' unpacked offset; 0 = nothing to prepare
    public float* Scales;            // [Batch, blocks]
    public int* Corrections;         // [Batch, blocks, 8]
    public int* BlockCorrections;    // [Batch, blocks]

    /// <summary>What the scratch at <see cref="Layout.Scratch"/> holds after this thread's last preparation.</summary>
    public Layout Prepared;

    /// <summary>Identifies prepared activations: type, Q8_0-family offset, shape and the scratch's address.</summary>
    public readonly record struct Layout(GgmlType Type, int Offset, int Columns, int Batch, nint Scratch);

    public void Run(int start, int end)
    {
        int blocks = Columns / 32;
        for (int b = start; b < end; b++)
        {
            byte* row = Activations + (long)b * ActivationRowBytes;
            ActivationQuantizer.Quantize(ActivationType, new ReadOnlySpan<float>(Input + (long)b * Columns, Columns), new Span<byte>(row, ActivationRowBytes));
            if (Offset != 0) Q8Activations.Prepare(row, 1, blocks, Offset, Scales + (long)b * blocks, Corrections + (long)b * blocks * 8, BlockCorrections + (long)b * blocks);
        }
    }
}
