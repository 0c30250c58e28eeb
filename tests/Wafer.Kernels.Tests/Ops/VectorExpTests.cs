using Wafer.Kernels.Ops;
using Wafer.Kernels.Tests.Quantization;

namespace Wafer.Kernels.Tests.Ops;

public class VectorExpTests
{
    [Fact]
    public void Exp_AcrossItsRange_WithinTwoUlpOfDoubleExp()
    {
        var x = new float[8];
        var simd = new float[8];
        for (int step = 0; step < 200_000; step += 8)
        {
            for (int l = 0; l < 8; l++) x[l] = -87f + (step + l) * (175f / 200_000);
            if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
                System.Runtime.Intrinsics.Vector256.CopyTo(VectorExp.Exp(System.Runtime.Intrinsics.Vector256.Create(x)), simd);
            for (int l = 0; l < 8; l++)
            {
                float scalar = VectorExp.ExpScalar(x[l]);
                if (System.Runtime.Intrinsics.X86.Fma.IsSupported) Assert.Equal(scalar, simd[l]);
                double exact = Math.Exp(x[l]);
                Assert.True(Math.Abs(scalar - exact) <= 2 * Ulp((float)exact), $"exp({x[l]}) = {scalar}, exactly {exact}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(29)]
    [InlineData(1536)]
    public void SwiGlu_MatchesScalarTwinAndExactSilu(int length)
    {
        var gate = TestData.Gaussian(length, seed: length, scale: 6f);
        gate[0] = length > 1 ? -120f : gate[0]; // e^120 is past the clamp: silu is still ~0
        var up = TestData.Gaussian(length, seed: length + 1);
        var twin = (float[])gate.Clone();
        var exact = gate.Select((x, i) => x / (1 + Math.Exp(-x)) * up[i]).ToArray();

        Activations.SwiGlu(gate, up);
        Activations.SwiGluScalar(twin, up);

        Assert.Equal(twin, gate);
        for (int i = 0; i < length; i++) Assert.Equal(exact[i], gate[i], 1e-6 * (1 + Math.Abs(exact[i])));
    }

    private static double Ulp(float value) => MathF.BitIncrement(value) - value;
}
