using Wafer.Kernels;
using Wafer.Kernels.Gemm;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;
using Wafer.Kernels.Tests.Quantization;

namespace Wafer.Kernels.Tests.Gemm;

public unsafe class Q8GemmTests
{
    // The tiles and the scalar twin add the same integers in the same F32 order, so they agree bit for bit.
    private const float TilingTolerance = 0f;

    // ggml's AVX2 vec_dot sums each block as the tiles do; only the generic scalar dot differs (by F32 accumulation order).
    private const double AccumulationOrderTolerance = 1e-5;

    public static TheoryData<GgmlType, int, int, int> Shapes => new()
    {
        { GgmlType.Q8_0, 1, 1, 32 }, { GgmlType.Q8_0, 5, 3, 64 }, { GgmlType.Q8_0, 8, 9, 96 }, { GgmlType.Q8_0, 13, 4, 32 },
        { GgmlType.Q4_0, 1, 1, 32 }, { GgmlType.Q4_0, 4, 5, 160 }, { GgmlType.Q4_0, 7, 8, 64 },
        { GgmlType.Q5_0, 1, 2, 32 }, { GgmlType.Q5_0, 9, 7, 128 }, { GgmlType.Q5_0, 4, 4, 576 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_Q8Family_MatchesScalarTwin(GgmlType type, int rows, int batch, int columns)
    {
        Assert.SkipUnless(Q8Gemm.IsSupported, "needs AVX2 or AVX-VNNI, with FMA");
        var (weights, input) = Inputs(type, rows, batch, columns);
        var kernels = TensorTypes.Get(type);
        var output = new float[batch * rows];
        var scratch = new byte[MatMul.ScratchBytes(kernels, columns, batch)];
        using var pool = new WorkerPool(2);
        fixed (byte* w = weights) MatMul.Compute(kernels, w, rows, columns, input, batch, scratch, output, pool);

        var activation = new byte[34 * columns / 32];
        float[] scales = new float[columns / 32];
        int[] corrections = new int[columns / 32 * 8];
        for (int b = 0; b < batch; b++)
        {
            ActivationQuantizer.Quantize(GgmlType.Q8_0, input.AsSpan(b * columns, columns), activation);
            fixed (byte* a = activation)
            fixed (float* s = scales)
            fixed (int* c = corrections)
            fixed (byte* w = weights)
            {
                Q8Activations.Prepare(a, 1, columns / 32, Offset(type), s, c);
                for (int r = 0; r < rows; r++)
                {
                    byte* row = w + r * TensorTypes.RowBytes(type, columns);
                    float twin = type switch
                    {
                        GgmlType.Q8_0 => Q8Gemm.Dot1x1Scalar<Q8_0WeightBlock>(row, a, s, c, columns / 32),
                        GgmlType.Q4_0 => Q8Gemm.Dot1x1Scalar<Q4_0WeightBlock>(row, a, s, c, columns / 32),
                        _ => Q8Gemm.Dot1x1Scalar<Q5_0WeightBlock>(row, a, s, c, columns / 32),
                    };
                    Assert.InRange(Math.Abs(output[b * rows + r] - twin), 0f, TilingTolerance);
                    float reference = kernels.Dot(new ReadOnlySpan<byte>(row, (int)TensorTypes.RowBytes(type, columns)), activation, columns);
                    Assert.InRange(Math.Abs(output[b * rows + r] - reference), 0, AccumulationOrderTolerance * (1 + Math.Abs(reference)) * columns);
                }
            }
        }
    }

    private static int Offset(GgmlType type) => type switch { GgmlType.Q8_0 => 128, GgmlType.Q4_0 => 8, _ => 16 };

    // Q, K and V of one input: the second and third products reuse the prepared activations where the layout matches
    // (same type) and prepare again where it does not (Q5_0's offset differs from Q8_0's; Q4_K wants Q8_K rows).
    [Theory]
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q5_0, GgmlType.Q5_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q4_0)]
    public void Compute_InputUnchanged_SameAsPreparingAgain(GgmlType first, GgmlType second, GgmlType third)
    {
        const int rows = 12, batch = 20, columns = 256;
        var input = TestData.Gaussian(batch * columns, seed: 3);
        using var pool = new WorkerPool(2);
        var scratch = new byte[new[] { first, second, third }.Max(t => MatMul.ScratchBytes(TensorTypes.Get(t), columns, batch))];
        GgmlType[] types = [first, second, third];
        var weights = types.Select((t, i) => Inputs(t, rows + i, batch, columns).Weights).ToArray();

        var shared = new float[3][];
        for (int i = 0; i < 3; i++)
        {
            shared[i] = new float[batch * (rows + i)];
            fixed (byte* w = weights[i]) MatMul.Compute(TensorTypes.Get(types[i]), w, rows + i, columns, input, batch, scratch, shared[i], pool, inputUnchanged: i > 0);
        }

        for (int i = 0; i < 3; i++)
        {
            var fresh = new float[batch * (rows + i)];
            fixed (byte* w = weights[i]) MatMul.Compute(TensorTypes.Get(types[i]), w, rows + i, columns, input, batch, new byte[scratch.Length], fresh, pool);
            Assert.Equal(fresh, shared[i]);
        }
    }

    private static (byte[] Weights, float[] Input) Inputs(GgmlType type, int rows, int batch, int columns)
    {
        var values = TestData.Gaussian(rows * columns, seed: rows * 31 + columns);
        var weights = new byte[TensorTypes.RowBytes(type, columns) * rows];
        long rowBytes = TensorTypes.RowBytes(type, columns);
        for (int r = 0; r < rows; r++)
            TensorTypes.Get(type).Quantize(values.AsSpan(r * columns, columns), weights.AsSpan((int)(r * rowBytes), (int)rowBytes));
        return (weights, TestData.Gaussian(batch * columns, seed: batch * 7 + 1));
    }
}
