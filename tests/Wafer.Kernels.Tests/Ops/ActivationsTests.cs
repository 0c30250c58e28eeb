using Wafer.Kernels.Ops;

namespace Wafer.Kernels.Tests.Ops;

/// <summary>GeGLU as ggml computes it on the CPU (the GELU of the half-precision input, looked up and stored in half; exact
/// tails) and soft-capping (cap·tanh(x/cap)).</summary>
public sealed class ActivationsTests
{
    [Fact]
    public void Gelu_IsTheTanhFormOfTheHalfInput_RoundedToHalf_WithExactTails()
    {
        var random = new Random(3);
        for (int i = 0; i < 20_000; i++)
        {
            float x = (float)(random.NextDouble() * 24 - 12);
            float expected = x <= -10 ? 0 : x >= 10 ? x : (float)(Half)Activations.GeluTanh((float)(Half)x);
            Assert.Equal(expected, Activations.Gelu(x));
        }
        Assert.Equal(0.0f, Activations.Gelu(-10.0f));
        Assert.Equal(10.0f, Activations.Gelu(10.0f));
        Assert.Equal(0.0f, Activations.Gelu(0.0f));
        Assert.Equal(0.8413447f, Activations.GeluTanh(1.0f), 1e-3f); // Φ(1)·1, which the tanh form approximates
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    public void GeGlu_GeluOfGateTimesUp(int length)
    {
        var random = new Random(length);
        var gate = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        var up = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var expected = gate.Select((g, i) => Activations.Gelu(g) * up[i]).ToArray();
        Activations.GeGlu(gate, up);
        Assert.Equal(expected, gate);
        Assert.Throws<ArgumentException>(() => Activations.GeGlu(new float[4], new float[3]));
    }

    [Fact]
    public void SoftCap_BoundsByTheCap_OddAndNearlyTheIdentityWellInside()
    {
        float[] values = [-1000, -50, -1, -0.01f, 0, 0.01f, 1, 50, 1000];
        var capped = (float[])values.Clone();
        Activations.SoftCap(capped, 30);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(MathF.Abs(capped[i]) <= 30);
            Assert.Equal(MathF.Tanh(values[i] * (1.0f / 30)) * 30, capped[i]);
            Assert.Equal(-capped[values.Length - 1 - i], capped[i]);
        }
        Assert.Equal(0.01f, capped[5], 1e-6f);
        Assert.Equal(30.0f, capped[^1], 1e-4f);
    }
}
