using Wafer.Kernels;
using Wafer.Kernels.Gemm;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;
using Wafer.Kernels.Tests.Quantization;

namespace Wafer.Kernels.Tests.Gemm;

/// <summary>The K-quant matrix kernels (<see cref="Q4KGemm"/> and <see cref="Q6KGemm"/>, 1×4 and 1×1) against the types' own AVX2 dot products.</summary>
public unsafe class KQuantGemmTests
{
    // The tiles do each pair's arithmetic exactly as the type's DotAvx2, so they agree bit for bit.
    private const float TilingTolerance = 0f;

    public static TheoryData<GgmlType, int, int, int> Shapes => new()
    {
        { GgmlType.Q4_K, 1, 1, 256 },
        { GgmlType.Q4_K, 3, 4, 256 },
        { GgmlType.Q4_K, 5, 7, 512 },
        { GgmlType.Q4_K, 4, 9, 768 },
        { GgmlType.Q4_K, 67, 1, 1280 },  // many rows: chunks over the pool, prefetch running past the last row
        { GgmlType.Q6_K, 1, 1, 256 },
        { GgmlType.Q6_K, 3, 4, 256 },
        { GgmlType.Q6_K, 5, 7, 512 },
        { GgmlType.Q6_K, 4, 9, 768 },
        { GgmlType.Q6_K, 67, 1, 1280 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_KQuant_MatchesOnePairDot(GgmlType type, int rows, int batch, int columns)
    {
        Assert.SkipUnless(Q4KGemm.IsSupported && Q6KGemm.IsSupported, "needs AVX2 and FMA");
        var kernels = TensorTypes.Get(type);
        long rowBytes = TensorTypes.RowBytes(type, columns);
        var values = TestData.Gaussian(rows * columns, seed: rows + columns);
        var weights = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++) kernels.Quantize(values.AsSpan(r * columns, columns), weights.AsSpan((int)(r * rowBytes), (int)rowBytes));
        var input = TestData.Gaussian(batch * columns, seed: batch);
        var output = new float[batch * rows];
        var scratch = new byte[MatMul.ScratchBytes(kernels, columns, batch)];
        using var pool = new WorkerPool(2);
        fixed (byte* w = weights) MatMul.Compute(kernels, w, rows, columns, input, batch, scratch, output, pool);

        for (int b = 0; b < batch; b++)
        {
            var activation = TestData.QuantizeActivation(GgmlType.Q8_K, input.AsSpan(b * columns, columns).ToArray());
            for (int r = 0; r < rows; r++)
            {
                var row = weights.AsSpan((int)(r * rowBytes), (int)rowBytes);
                float expected = type == GgmlType.Q4_K ? Q4KKernels.DotAvx2(row, activation, columns) : Q6KKernels.DotAvx2(row, activation, columns);
                Assert.InRange(Math.Abs(output[b * rows + r] - expected), 0f, TilingTolerance);
            }
        }
    }
}
