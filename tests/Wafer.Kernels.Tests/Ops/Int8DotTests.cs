using Wafer.Kernels.Ops;

namespace Wafer.Kernels.Tests.Ops;

public class Int8DotTests
{
    [Fact]
    public void Dot_EveryLengthTo256_EqualsScalarTwin()
    {
        var random = new Random(17);
        for (int n = 0; n <= 256; n++)
        {
            var x = new sbyte[n];
            var y = new sbyte[n + 3];
            for (int i = 0; i < n; i++) x[i] = (sbyte)random.Next(-127, 128);
            for (int i = 0; i < y.Length; i++) y[i] = (sbyte)random.Next(-127, 128);
            Assert.Equal(Int8Dot.DotScalar(x, y), Int8Dot.Dot(x, y));
        }
    }

    [Fact]
    public void Dot_ExtremeValues_Exact()
    {
        var x = Enumerable.Repeat((sbyte)-127, 384).ToArray();
        var y = Enumerable.Repeat((sbyte)-127, 384).ToArray();
        Assert.Equal(384 * 127 * 127, Int8Dot.Dot(x, y));
        y[5] = 127;
        Assert.Equal(Int8Dot.DotScalar(x, y), Int8Dot.Dot(x, y));
    }

    [Fact]
    public void Dot_ShorterY_Throws() => Assert.Throws<ArgumentException>(() => Int8Dot.Dot(new sbyte[4], new sbyte[3]));
}
