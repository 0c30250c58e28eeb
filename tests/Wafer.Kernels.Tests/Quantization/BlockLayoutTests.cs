using System.Runtime.CompilerServices;
using Wafer.Kernels.Quantization.Blocks;
using Xunit;

namespace Wafer.Kernels.Tests.Quantization;

public class BlockLayoutTests
{
    [Fact]
    public void SizeOf_EveryBlock_EqualsGgmlStaticAssert()
    {
        Assert.Equal(18, Unsafe.SizeOf<BlockQ4_0>());
        Assert.Equal(20, Unsafe.SizeOf<BlockQ4_1>());
        Assert.Equal(22, Unsafe.SizeOf<BlockQ5_0>());
        Assert.Equal(24, Unsafe.SizeOf<BlockQ5_1>());
        Assert.Equal(34, Unsafe.SizeOf<BlockQ8_0>());
        Assert.Equal(36, Unsafe.SizeOf<BlockQ8_1>());
        Assert.Equal(84, Unsafe.SizeOf<BlockQ2K>());
        Assert.Equal(110, Unsafe.SizeOf<BlockQ3K>());
        Assert.Equal(144, Unsafe.SizeOf<BlockQ4K>());
        Assert.Equal(176, Unsafe.SizeOf<BlockQ5K>());
        Assert.Equal(210, Unsafe.SizeOf<BlockQ6K>());
        Assert.Equal(292, Unsafe.SizeOf<BlockQ8K>());
        Assert.Equal(18, Unsafe.SizeOf<BlockIQ4NL>());
        Assert.Equal(136, Unsafe.SizeOf<BlockIQ4XS>());
    }

    [Fact]
    public void ByteCount_EveryBlock_EqualsSizeOf()
    {
        Assert.Equal(BlockQ4_0.ByteCount, Unsafe.SizeOf<BlockQ4_0>());
        Assert.Equal(BlockQ4_1.ByteCount, Unsafe.SizeOf<BlockQ4_1>());
        Assert.Equal(BlockQ5_0.ByteCount, Unsafe.SizeOf<BlockQ5_0>());
        Assert.Equal(BlockQ5_1.ByteCount, Unsafe.SizeOf<BlockQ5_1>());
        Assert.Equal(BlockQ8_0.ByteCount, Unsafe.SizeOf<BlockQ8_0>());
        Assert.Equal(BlockQ8_1.ByteCount, Unsafe.SizeOf<BlockQ8_1>());
        Assert.Equal(BlockQ2K.ByteCount, Unsafe.SizeOf<BlockQ2K>());
        Assert.Equal(BlockQ3K.ByteCount, Unsafe.SizeOf<BlockQ3K>());
        Assert.Equal(BlockQ4K.ByteCount, Unsafe.SizeOf<BlockQ4K>());
        Assert.Equal(BlockQ5K.ByteCount, Unsafe.SizeOf<BlockQ5K>());
        Assert.Equal(BlockQ6K.ByteCount, Unsafe.SizeOf<BlockQ6K>());
        Assert.Equal(BlockQ8K.ByteCount, Unsafe.SizeOf<BlockQ8K>());
        Assert.Equal(BlockIQ4NL.ByteCount, Unsafe.SizeOf<BlockIQ4NL>());
        Assert.Equal(BlockIQ4XS.ByteCount, Unsafe.SizeOf<BlockIQ4XS>());
    }
}
