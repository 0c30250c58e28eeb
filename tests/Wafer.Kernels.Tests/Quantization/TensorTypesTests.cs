using Wafer.Kernels;
using Wafer.Kernels.Quantization;
using Xunit;

namespace Wafer.Kernels.Tests.Quantization;

public class TensorTypesTests
{
    [Fact]
    public void Get_UnsupportedType_ThrowsNamingTypeAndSupportedList()
    {
        var ex = Assert.Throws<NotSupportedException>(() => TensorTypes.Get(GgmlType.IQ2_S));
        Assert.StartsWith("tensor type 22 (IQ2_S) is not supported by Wafer yet; supported: F32, F16, Q4_0", ex.Message);
        Assert.Contains("IQ4_XS", ex.Message);
    }

    [Theory]
    [InlineData(GgmlType.F32, GgmlType.F32)]
    [InlineData(GgmlType.F16, GgmlType.F16)]
    [InlineData(GgmlType.BF16, GgmlType.BF16)]
    [InlineData(GgmlType.Q4_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q5_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.IQ4_NL, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_1, GgmlType.Q8_1)]
    [InlineData(GgmlType.Q5_1, GgmlType.Q8_1)]
    [InlineData(GgmlType.Q2_K, GgmlType.Q8_K)]
    [InlineData(GgmlType.Q3_K, GgmlType.Q8_K)]
    [InlineData(GgmlType.Q4_K, GgmlType.Q8_K)]
    [InlineData(GgmlType.Q5_K, GgmlType.Q8_K)]
    [InlineData(GgmlType.Q6_K, GgmlType.Q8_K)]
    [InlineData(GgmlType.IQ4_XS, GgmlType.Q8_K)]
    public void ActivationType_WeightType_MatchesGgmlVecDotType(GgmlType weight, GgmlType activation)
    {
        Assert.Equal(activation, TensorTypes.Get(weight).ActivationType);
        Assert.True(TensorTypes.IsSupported(weight));
    }

    [Fact]
    public void Get_EverySupportedType_ReportsRegistryLayout()
    {
        foreach (GgmlType type in TensorTypes.Supported)
        {
            ITensorTypeKernels kernels = TensorTypes.Get(type);
            Assert.Equal(type, kernels.Type);
            Assert.Equal(TensorTypes.BlockSize(type), kernels.BlockSize);
            Assert.Equal(TensorTypes.BlockBytes(type), kernels.BlockBytes);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, 4096, 2304)]
    [InlineData(GgmlType.Q8_0, 4096, 4352)]
    [InlineData(GgmlType.F16, 3, 6)]
    [InlineData(GgmlType.IQ2_XXS, 512, 132)]
    [InlineData(GgmlType.TQ1_0, 256, 54)]
    [InlineData(GgmlType.MXFP4, 64, 34)]
    [InlineData(GgmlType.IQ1_M, 256, 56)]
    public void RowBytes_WholeBlocks_MatchesGgmlRowSize(GgmlType type, long count, long bytes)
    {
        Assert.Equal(bytes, TensorTypes.RowBytes(type, count));
    }

    [Fact]
    public void RowBytes_PartialBlock_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => TensorTypes.RowBytes(GgmlType.Q4_K, 100));
        Assert.Contains("Q4_K", ex.Message);
    }

    [Fact]
    public void BlockSize_EveryEnumValue_IsKnown()
    {
        foreach (GgmlType type in Enum.GetValues<GgmlType>())
        {
            Assert.True(TensorTypes.BlockSize(type) > 0);
            Assert.True(TensorTypes.BlockBytes(type) > 0);
        }
    }

    [Fact]
    public void IsSupported_ActivationOnlyTypes_IsFalseButGetWorks()
    {
        Assert.False(TensorTypes.IsSupported(GgmlType.Q8_K));
        Assert.False(TensorTypes.IsSupported(GgmlType.Q8_1));
        Assert.Throws<NotSupportedException>(() => TensorTypes.Get(GgmlType.Q8_K).Dot(new byte[292], new byte[292], 256));
    }
}
