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
}
