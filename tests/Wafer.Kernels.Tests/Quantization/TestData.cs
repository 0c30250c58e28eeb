using Wafer.Kernels;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Tests.Quantization;

/// <summary>Deterministic inputs and small helpers shared by the quantization tests.</summary>
internal static class TestData
{
    /// <summary>Standard-normal values from a fixed seed.</summary>
    public static float[] Gaussian(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            values[i] = scale * (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }

        return values;
    }

    /// <summary>Quantizes <paramref name="values"/> to <paramref name="type"/> with its reference quantizer.</summary>
    public static byte[] Quantize(GgmlType type, float[] values)
    {
        var bytes = new byte[TensorTypes.RowBytes(type, values.Length)];
        TensorTypes.Get(type).Quantize(values, bytes);
        return bytes;
    }

    /// <summary>Quantizes <paramref name="values"/> to an activation type as the CPU backend does.</summary>
    public static byte[] QuantizeActivation(GgmlType type, float[] values)
    {
        var bytes = new byte[TensorTypes.RowBytes(type, values.Length)];
        ActivationQuantizer.Quantize(type, values, bytes);
        return bytes;
    }

    /// <summary>Dequantizes a row of <paramref name="count"/> elements.</summary>
    public static float[] Dequantize(GgmlType type, byte[] bytes, int count)
    {
        var values = new float[count];
        TensorTypes.Get(type).Dequantize(bytes, values);
        return values;
    }

    /// <summary>Σ|xᵢ·yᵢ| in F64: the scale float-ordering differences are measured against.</summary>
    public static double AbsoluteDotMass(float[] x, float[] y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += Math.Abs((double)x[i] * y[i]);
        return sum;
    }
}
