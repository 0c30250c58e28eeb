using Wafer.Kernels;
using Wafer.Kernels.Gemm;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;
using Wafer.Kernels.Tests.Quantization;

namespace Wafer.Kernels.Tests.Gemm;

public unsafe class Q4KGemmTests
{
    // The 1×4 tile does each pair's arithmetic exactly as Q4KKernels.DotAvx2, so they agree bit for bit.
    private const float TilingTolerance = 0f;

    [Theory]
    [InlineData(1, 1, 256)]
    [InlineData(3, 4, 256)]
    [InlineData(5, 7, 512)]
    [InlineData(4, 9, 768)]
    public void Compute_Q4K_MatchesOnePairDot(int rows, int batch, int columns)
    {
        Assert.SkipUnless(Q4KGemm.IsSupported, "needs AVX2 and FMA");
        var kernels = TensorTypes.Get(GgmlType.Q4_K);
        long rowBytes = TensorTypes.RowBytes(GgmlType.Q4_K, columns);
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
                float expected = Q4KKernels.DotAvx2(weights.AsSpan((int)(r * rowBytes), (int)rowBytes), activation, columns);
                Assert.InRange(Math.Abs(output[b * rows + r] - expected), 0f, TilingTolerance);
            }
        }
    }
}
