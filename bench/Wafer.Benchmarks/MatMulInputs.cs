using Wafer.Kernels;
using Wafer.Kernels.Gemm;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Quantization;

namespace Wafer.Benchmarks;

/// <summary>Random weights [rows, columns] in one type and layout and F32 activations [batch, columns], with a fixed seed.</summary>
internal sealed unsafe class MatMulInputs
{
    public readonly byte[] Weights;
    public readonly float[] Input;
    public readonly float[] Output;
    public readonly byte[] Scratch;
    public readonly ITensorTypeKernels Kernels;
    public readonly WeightLayout Layout;

    public MatMulInputs(GgmlType type, int rows, int columns, int batch, WeightLayout layout = WeightLayout.Gguf)
    {
        Layout = layout;
        var random = new Random(1);
        Kernels = TensorTypes.Get(type);
        var row = new float[columns];
        long rowBytes = TensorTypes.RowBytes(type, columns);
        Weights = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++) row[c] = (float)(random.NextDouble() * 2 - 1);
            Kernels.Quantize(row, Weights.AsSpan((int)(r * rowBytes), (int)rowBytes));
        }
        if (layout == WeightLayout.Interleaved8)
        {
            var packed = new byte[Weights.Length];
            fixed (byte* source = Weights)
            fixed (byte* destination = packed)
                Interleaved8.Repack(type, source, destination, columns, 0, rows / 8);
            Weights = packed;
        }
        Input = new float[batch * columns];
        for (int i = 0; i < Input.Length; i++) Input[i] = (float)(random.NextDouble() * 2 - 1);
        Output = new float[batch * rows];
        Scratch = new byte[Wafer.Kernels.Ops.MatMul.ScratchBytes(Kernels, columns, batch)];
    }
}
