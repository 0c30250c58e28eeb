using Wafer.Kernels;
using Wafer.Kernels.Gemm;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;
using Wafer.Kernels.Tests.Quantization;

namespace Wafer.Kernels.Tests.Gemm;

/// <summary>Q8_0/Q4_0/Q5_0 weights repacked into 8 interleaved rows (<see cref="Interleaved8"/>) and their kernels (<see cref="InterleavedGemm"/>).</summary>
public unsafe class InterleavedGemmTests
{
    // The 8×8, 8×4 and 8×1 tiles and the scalar twin add the same integers and the same F32 products in the same order.
    private const float TilingTolerance = 0f;

    // Against the row-major kernels, which sum 8 lanes per block (ggml's AVX2 order): only F32 rounding differs.
    private const double AccumulationOrderTolerance = 1e-5;

    public static TheoryData<GgmlType, int, int, int> Shapes => new()
    {
        { GgmlType.Q8_0, 8, 1, 32 },
        { GgmlType.Q8_0, 16, 3, 64 },
        { GgmlType.Q8_0, 8, 4, 96 },
        { GgmlType.Q8_0, 24, 13, 576 },   // 8×8, 8×4 and 8×1 tiles in one product
        { GgmlType.Q8_0, 8, 60, 4096 },   // activation chunks: 48 rows per pass at this width
        { GgmlType.Q4_0, 8, 1, 32 },
        { GgmlType.Q4_0, 16, 7, 160 },
        { GgmlType.Q4_0, 32, 8, 64 },
        { GgmlType.Q4_0, 24, 21, 576 },
        { GgmlType.Q4_0, 8, 60, 4096 },
        { GgmlType.Q4_0, 136, 1, 896 },   // many groups split over the pool, prefetch running past the last one
        { GgmlType.Q5_0, 8, 1, 32 },
        { GgmlType.Q5_0, 16, 5, 128 },
        { GgmlType.Q5_0, 24, 19, 896 },
        { GgmlType.Q5_0, 8, 60, 4096 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_Interleaved_MatchesScalarTwinAndRowMajor(GgmlType type, int rows, int batch, int columns)
    {
        Assert.SkipUnless(InterleavedGemm.IsSupported, "needs AVX2 or AVX-VNNI, with FMA");
        var kernels = TensorTypes.Get(type);
        long rowBytes = TensorTypes.RowBytes(type, columns);
        var values = TestData.Gaussian(rows * columns, seed: rows * 31 + columns);
        var weights = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++) kernels.Quantize(values.AsSpan(r * columns, columns), weights.AsSpan((int)(r * rowBytes), (int)rowBytes));
        var packed = Repacked(type, weights, rows, columns);
        var input = TestData.Gaussian(batch * columns, seed: batch * 7 + 1);
        using var pool = new WorkerPool(2);

        var interleaved = new float[batch * rows];
        var rowMajor = new float[batch * rows];
        var scratch = new byte[MatMul.ScratchBytes(kernels, columns, batch)];
        fixed (byte* w = packed) MatMul.Compute(kernels, w, rows, columns, input, batch, scratch, interleaved, pool, layout: WeightLayout.Interleaved8);
        fixed (byte* w = weights) MatMul.Compute(kernels, w, rows, columns, input, batch, scratch, rowMajor, pool);

        int blocks = columns / 32;
        var activation = new byte[34 * blocks];
        var scales = new float[blocks];
        var corrections = new int[blocks * 8];
        var blockCorrections = new int[blocks];
        var twin = new float[8];
        for (int b = 0; b < batch; b++)
        {
            ActivationQuantizer.Quantize(GgmlType.Q8_0, input.AsSpan(b * columns, columns), activation);
            fixed (byte* a = activation)
            fixed (float* s = scales)
            fixed (int* c = corrections)
            fixed (int* k = blockCorrections)
            fixed (byte* w = packed)
            fixed (float* t = twin)
            {
                Q8Activations.Prepare(a, 1, blocks, type switch { GgmlType.Q8_0 => 128, GgmlType.Q4_0 => 8, _ => 16 }, s, c, k);
                for (int g = 0; g < rows / 8; g++)
                {
                    byte* group = w + g * 8 * rowBytes;
                    if (type == GgmlType.Q8_0) InterleavedGemm.Dot8Scalar<Q8_0x8Block>(group, a, s, k, blocks, t);
                    else if (type == GgmlType.Q4_0) InterleavedGemm.Dot8Scalar<Q4_0x8Block>(group, a, s, k, blocks, t);
                    else InterleavedGemm.Dot8Scalar<Q5_0x8Block>(group, a, s, k, blocks, t);
                    for (int r = 0; r < 8; r++)
                    {
                        float actual = interleaved[b * rows + g * 8 + r];
                        Assert.InRange(Math.Abs(actual - twin[r]), 0f, TilingTolerance);
                        float expected = rowMajor[b * rows + g * 8 + r];
                        Assert.InRange(Math.Abs(actual - expected), 0, AccumulationOrderTolerance * (1 + Math.Abs(expected)) * Math.Sqrt(columns));
                    }
                }
            }
        }
    }

    public static TheoryData<GgmlType, int> TileShapes => new()
    {
        { GgmlType.Q8_0, 1 }, { GgmlType.Q8_0, 3 }, { GgmlType.Q8_0, 18 }, { GgmlType.Q8_0, 48 },
        { GgmlType.Q4_0, 1 }, { GgmlType.Q4_0, 28 },
        { GgmlType.Q5_0, 2 }, { GgmlType.Q5_0, 28 },
    };

    // Every tile, 256-bit and (where the CPU has AVX-512BW) 512-bit, called directly on 16 weight rows × 8 activation rows, so
    // both widths are checked on any machine whichever one MatMul picks; extreme quants and activations included (±127, the
    // vpmaddubsw saturation case the 512-bit tiles avoid by multiplying in 16 bits).
    [Theory]
    [MemberData(nameof(TileShapes))]
    public void Tiles_BothWidths_MatchTheScalarTwinBitForBit(GgmlType type, int blocks)
    {
        Assert.SkipUnless(InterleavedGemm.IsSupported, "needs AVX2 or AVX-VNNI, with FMA");
        const int rows = 16, acts = 8;
        int columns = blocks * 32;
        long rowBytes = TensorTypes.RowBytes(type, columns);
        var values = TestData.Gaussian(rows * columns, seed: blocks * 13 + (int)type);
        for (int i = 0; i < columns; i++) values[i] = i % 2 == 0 ? 4f : -4f; // row 0: every quant at ±127 (Q8_0), 0/15 (Q4_0)
        var packed = Repacked(type, TestData.Quantize(type, values), rows, columns);
        var input = TestData.Gaussian(acts * columns, seed: blocks + 3);
        for (int i = 0; i < columns; i++) input[i] = i % 3 == 0 ? -2f : 2f; // activation row 0 at ±127
        var activations = new byte[acts * 34 * blocks];
        for (int b = 0; b < acts; b++)
            ActivationQuantizer.Quantize(GgmlType.Q8_0, input.AsSpan(b * columns, columns), activations.AsSpan(b * 34 * blocks, 34 * blocks));
        var (twin, tiles) = type switch
        {
            GgmlType.Q8_0 => RunTiles<Q8_0x8Block>(packed, activations, rowBytes, blocks),
            GgmlType.Q4_0 => RunTiles<Q4_0x8Block>(packed, activations, rowBytes, blocks),
            _ => RunTiles<Q5_0x8Block>(packed, activations, rowBytes, blocks),
        };
        foreach (var (name, output) in tiles)
            for (int i = 0; i < twin.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(output[i]) == BitConverter.SingleToInt32Bits(twin[i]),
                    $"{name}: output {i} (activation {i / rows}, row {i % rows}) is {output[i]:R}, the scalar twin {twin[i]:R}");
    }

    // The scalar twin's and every tile's outputs [8 activations, 16 rows] for two repacked 8-row groups.
    private static (float[] Twin, Dictionary<string, float[]> Tiles) RunTiles<T>(byte[] packed, byte[] activations, long rowBytes, int blocks)
        where T : unmanaged, IInterleavedBlock
    {
        const int rows = 16, acts = 8;
        long stride = 34L * blocks, groupBytes = 8 * rowBytes;
        var scales = new float[acts * blocks];
        var corrections = new int[acts * blocks * 8];
        var blockCorrections = new int[acts * blocks];
        var twin = new float[acts * rows];
        var tiles = new Dictionary<string, float[]>
        {
            ["256-bit 8×8"] = new float[acts * rows], ["256-bit 8×4"] = new float[acts * rows],
        };
        if (WideInterleavedGemm.IsSupported) { tiles["512-bit 16×8"] = new float[acts * rows]; tiles["512-bit 16×4"] = new float[acts * rows]; }
        bool small = WideInterleavedGemm.IsSupported && WideInterleavedGemm.TakesSmallQuants<T>(); // Q4_0, Q5_0 also have vpmaddubsw tiles
        if (small) { tiles["512-bit small-quant 16×8"] = new float[acts * rows]; tiles["512-bit small-quant 16×4"] = new float[acts * rows]; }
        var widened = new short[acts * blocks * 32];
        fixed (byte* w = packed)
        fixed (byte* a = activations)
        fixed (float* s = scales)
        fixed (int* c = corrections)
        fixed (int* k = blockCorrections)
        fixed (float* t = twin)
        fixed (float* o88 = tiles["256-bit 8×8"])
        fixed (float* o84 = tiles["256-bit 8×4"])
        fixed (short* y = widened)
        {
            Q8Activations.Prepare(a, acts, blocks, T.Offset, s, c, k);
            for (int g = 0; g < 2; g++)
            {
                byte* group = w + g * groupBytes;
                for (int b = 0; b < acts; b++)
                    InterleavedGemm.Dot8Scalar<T>(group, a + b * stride, s + b * blocks, k + b * blocks, blocks, t + b * rows + 8 * g);
                InterleavedGemm.Tile8x8<T>(group, a, stride, s, k, blocks, o88 + 8 * g, rows);
                for (int b = 0; b < acts; b += 4)
                    InterleavedGemm.Tile8x4<T>(group, a + b * stride, stride, s + b * blocks, k + b * blocks, blocks, o84 + 8 * g + b * rows, rows);
            }
            if (WideInterleavedGemm.IsSupported)
            {
                WideInterleavedGemm.Widen(a, stride, acts, blocks, y);
                fixed (float* o168 = tiles["512-bit 16×8"])
                fixed (float* o164 = tiles["512-bit 16×4"])
                {
                    WideInterleavedGemm.Tile16x8<T>(w, groupBytes, y, s, k, blocks, o168, rows);
                    for (int b = 0; b < acts; b += 4)
                        WideInterleavedGemm.Tile16x4<T>(w, groupBytes, y + b * blocks * 32, s + b * blocks, k + b * blocks, blocks, o164 + b * rows, rows);
                }
            }
            if (small)
            {
                fixed (float* o168 = tiles["512-bit small-quant 16×8"])
                fixed (float* o164 = tiles["512-bit small-quant 16×4"])
                {
                    WideInterleavedGemm.SmallTile16x8<T>(w, groupBytes, a, stride, s, k, blocks, o168, rows);
                    for (int b = 0; b < acts; b += 4)
                        WideInterleavedGemm.SmallTile16x4<T>(w, groupBytes, a + b * stride, stride, s + b * blocks, k + b * blocks, blocks, o164 + b * rows, rows);
                }
            }
        }
        return (twin, tiles);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    public void Repack_EveryQuantAndScaleLandsInItsLane(GgmlType type)
    {
        const int rows = 16, columns = 96;
        var row = new IQ8WeightBlockReader(type);
        var weights = TestData.Quantize(type, TestData.Gaussian(rows * columns, seed: 5));
        var packed = Repacked(type, weights, rows, columns);
        long rowBytes = TensorTypes.RowBytes(type, columns);
        fixed (byte* w = weights)
        fixed (byte* p = packed)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int ib = 0; ib < columns / 32; ib++)
                {
                    byte* original = w + r * rowBytes + ib * row.BlockBytes;
                    byte* block = p + r / 8 * 8 * rowBytes + ib * 8 * row.BlockBytes;
                    Assert.Equal(*(ushort*)original, ((ushort*)block)[r % 8]);
                    for (int k = 0; k < 32; k++)
                    {
                        int repacked = type switch
                        {
                            GgmlType.Q8_0 => Q8_0x8Block.QuantScalar(block + 16, r % 8, k),
                            GgmlType.Q4_0 => Q4_0x8Block.QuantScalar(block + 16, r % 8, k),
                            _ => Q5_0x8Block.QuantScalar(block + 16, r % 8, k),
                        };
                        Assert.Equal(row.Quant(original, k), repacked);
                    }
                }
            }
        }
    }

    [Fact]
    public void CanRepack_OnlyQ8_0Q4_0AndQ5_0InWholeGroupsOf8Rows()
    {
        Assert.SkipUnless(InterleavedGemm.IsSupported, "needs AVX2 or AVX-VNNI, with FMA");
        Assert.True(Interleaved8.CanRepack(GgmlType.Q8_0, 576, 576));
        Assert.True(Interleaved8.CanRepack(GgmlType.Q4_0, 8, 32));
        Assert.False(Interleaved8.CanRepack(GgmlType.Q4_0, 12, 64));
        Assert.True(Interleaved8.CanRepack(GgmlType.Q5_0, 64, 64));
        Assert.False(Interleaved8.CanRepack(GgmlType.Q5_1, 64, 64));
        Assert.False(Interleaved8.CanRepack(GgmlType.Q4_K, 64, 256));
    }

    [Fact]
    public void Compute_InterleavedLayoutOfAnUnrepackableMatrix_Throws()
    {
        var kernels = TensorTypes.Get(GgmlType.Q4_0);
        var weights = new byte[TensorTypes.RowBytes(GgmlType.Q4_0, 64) * 12];
        using var pool = new WorkerPool(1);
        var e = Assert.Throws<ArgumentException>(() =>
        {
            fixed (byte* w = weights)
                MatMul.Compute(kernels, w, 12, 64, new float[64], 1, new byte[MatMul.ScratchBytes(kernels, 64, 1)], new float[12], pool, layout: WeightLayout.Interleaved8);
        });
        Assert.Contains("interleaved layout", e.Message);
    }

    [Fact]
    public void Prepare_BlockCorrectionIsTheSumOfTheLanes()
    {
        const int blocks = 5;
        var activation = TestData.QuantizeActivation(GgmlType.Q8_0, TestData.Gaussian(32 * blocks, seed: 9));
        var scales = new float[blocks];
        var lanes = new int[blocks * 8];
        var totals = new int[blocks];
        fixed (byte* a = activation)
        fixed (float* s = scales)
        fixed (int* c = lanes)
        fixed (int* k = totals)
            Q8Activations.Prepare(a, 1, blocks, 8, s, c, k);
        for (int ib = 0; ib < blocks; ib++)
        {
            int sum = 0;
            for (int i = 0; i < 32; i++) sum += (sbyte)activation[ib * 34 + 2 + i];
            Assert.Equal(-8 * sum, totals[ib]);
            Assert.Equal(lanes.Skip(ib * 8).Take(8).Sum(), totals[ib]);
        }
    }

    private static byte[] Repacked(GgmlType type, byte[] weights, int rows, int columns)
    {
        var packed = new byte[weights.Length];
        fixed (byte* w = weights)
        fixed (byte* p = packed)
            Interleaved8.Repack(type, w, p, columns, 0, rows / 8);
        return packed;
    }

    // The row-major block types' scalar unpacking, as a value to pass around.
    private readonly struct IQ8WeightBlockReader(GgmlType type)
    {
        public int BlockBytes => type switch { GgmlType.Q8_0 => Q8_0WeightBlock.BlockBytes, GgmlType.Q4_0 => Q4_0WeightBlock.BlockBytes, _ => Q5_0WeightBlock.BlockBytes };

        public int Quant(byte* block, int index) => type switch
        {
            GgmlType.Q8_0 => Q8_0WeightBlock.UnpackScalar(block, index),
            GgmlType.Q4_0 => Q4_0WeightBlock.UnpackScalar(block, index),
            _ => Q5_0WeightBlock.UnpackScalar(block, index),
        };
    }
}
