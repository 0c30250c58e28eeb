using Wafer.Kernels.Ops;
using Wafer.Kernels.Tests.Quantization;

namespace Wafer.Kernels.Tests.Ops;

public class VectorMathTests
{
    // Relative to Σ|x·y|: SIMD and scalar differ only in F32 summation order.
    private const double SummationOrderTolerance = 1e-5;

    public static TheoryData<int> Lengths => [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 127, 128, 255, 256];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dot_AnyLength_MatchesScalar(int length)
    {
        var x = TestData.Gaussian(length, 1);
        var y = TestData.Gaussian(length, 2);
        double magnitude = 0;
        for (int i = 0; i < length; i++) magnitude += Math.Abs(x[i] * y[i]);
        Assert.InRange(Math.Abs(VectorMath.Dot(x, y) - VectorMath.DotScalar(x, y)), 0, SummationOrderTolerance * (magnitude + 1e-30));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MultiplyAdd_AnyLength_MatchesScalar(int length)
    {
        var x = TestData.Gaussian(length, 3);
        var simd = TestData.Gaussian(length, 4);
        var scalar = (float[])simd.Clone();
        VectorMath.MultiplyAdd(x, 0.37f, simd);
        VectorMath.MultiplyAddScalar(x, 0.37f, scalar);
        for (int i = 0; i < length; i++) Assert.InRange(Math.Abs(simd[i] - scalar[i]), 0, 1e-6 * (1 + Math.Abs(scalar[i])));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Max_AnyLength_EqualsScalar(int length)
    {
        var x = TestData.Gaussian(length, 5);
        for (int i = 0; i < length; i++) x[i] -= 10; // all negative: a max that starts from 0 would be wrong

        Assert.Equal(VectorMath.MaxScalar(x), VectorMath.Max(x));
        if (length > 0)
        {
            x[length / 2] = float.NaN;
            Assert.True(float.IsNaN(VectorMath.Max(x)) && float.IsNaN(VectorMath.MaxScalar(x)));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Scale_AnyLength_EqualsElementwise(int length)
    {
        var x = TestData.Gaussian(length, 6);
        var expected = x.Select(v => v * 0.37f).ToArray();

        VectorMath.Scale(x, 0.37f);

        Assert.Equal(expected, x);
    }

    [Theory]
    [InlineData(64, 192, 1)]
    [InlineData(64, 192, 17)]
    [InlineData(128, 256, 5)]
    [InlineData(8, 8, 16)]
    [InlineData(13, 40, 9)]
    [InlineData(40, 40, 3)]
    public void DotRows_MatchesScalarTwin(int length, int stride, int count)
    {
        var x = TestData.Gaussian(length, 7);
        var rows = TestData.Gaussian((count - 1) * stride + length, 8);
        var scores = new float[count];

        VectorMath.DotRows(x, rows, stride, 0.125f, scores);

        var twin = new float[count];
        VectorMath.DotRowsScalar(x, rows, stride, 0.125f, twin);
        for (int t = 0; t < count; t++)
        {
            float dot = VectorMath.Dot(x, rows.AsSpan(t * stride, length)) * 0.125f;
            if (System.Runtime.Intrinsics.X86.Fma.IsSupported && length % 8 == 0) Assert.Equal(twin[t], scores[t]); // 8-row FMA path, lane for lane
            else Assert.Equal(dot, scores[t]);                                                                      // one Dot per row
            Assert.Equal(dot, scores[t], 1e-5f * (1 + Math.Abs(dot)));
        }
    }

    [Theory]
    [InlineData(64, 192, 1)]
    [InlineData(64, 192, 17)]
    [InlineData(128, 256, 5)]
    [InlineData(13, 40, 9)]
    [InlineData(40, 40, 3)]
    [InlineData(72, 80, 4)]
    public void MultiplyAddRows_MatchesScalarTwin(int length, int stride, int count)
    {
        var rows = TestData.Gaussian((count - 1) * stride + length, 9);
        var weights = TestData.Gaussian(count, 10);
        var fused = TestData.Gaussian(length, 11);
        var expected = (float[])fused.Clone();
        var rowByRow = (float[])fused.Clone();

        VectorMath.MultiplyAddRows(rows, stride, weights, fused);

        VectorMath.MultiplyAddRowsScalar(rows, stride, weights, expected);
        Assert.Equal(expected, fused);
        for (int t = 0; t < count; t++) VectorMath.MultiplyAdd(rows.AsSpan(t * stride, length), weights[t], rowByRow);
        for (int i = 0; i < length; i++) Assert.Equal(rowByRow[i], fused[i], 1e-5f * (1 + Math.Abs(rowByRow[i])));
    }

    [Fact]
    public void DotRows_RowsTooShort_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => VectorMath.DotRows(new float[64], new float[100], 64, 1, new float[2]));
        Assert.Contains("shorter", e.Message);
    }
}
