using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Wafer.Kernels;
using Wafer.Kernels.Gemm;
using Wafer.Kernels.Quantization;

namespace Wafer.Benchmarks;

/// <summary>Which integer dot product wins for the 4×4 prompt tile on Q4_0 weights: 256-bit AVX-VNNI <c>vpdpbusd</c> (what
/// <see cref="Q8Gemm.Tile4x4"/> uses) or AVX-512BW <c>vpmaddubsw</c> + <c>vpmaddwd</c> on two blocks per 512-bit register.</summary>
/// <remarks>A measurement, not a production path: the 512-bit variant sums even and odd blocks in separate lanes, so its F32
/// result differs from ggml's order in the last bits. Both run on the same L1-resident tile, one thread, so only arithmetic counts.
/// <c>dotnet run -c Release --project bench/Wafer.Benchmarks -- isa</c>.</remarks>
internal static unsafe class InstructionChoice
{
    private const int Blocks = 64, Rows = 4, Acts = 4;

    public static void Run()
    {
        if (!Q8Gemm.IsSupported) { Console.WriteLine("needs AVX-VNNI or AVX2"); return; }
        var random = new Random(1);
        int columns = Blocks * 32;
        long rowBytes = TensorTypes.RowBytes(GgmlType.Q4_0, columns);
        var kernels = TensorTypes.Get(GgmlType.Q4_0);
        byte* weights = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rowBytes * Rows), 64);
        byte* activations = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(34 * Blocks * Acts), 64);
        float* scales = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(4 * Blocks * Acts), 64);
        int* corrections = (int*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(32 * Blocks * Acts), 64);
        var row = new float[columns];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < columns; c++) row[c] = (float)(random.NextDouble() * 2 - 1);
            kernels.Quantize(row, new Span<byte>(weights + r * rowBytes, (int)rowBytes));
        }
        for (int b = 0; b < Acts; b++)
        {
            for (int c = 0; c < columns; c++) row[c] = (float)(random.NextDouble() * 2 - 1);
            ActivationQuantizer.Quantize(GgmlType.Q8_0, row, new Span<byte>(activations + b * 34 * Blocks, 34 * Blocks));
        }
        Q8Activations.Prepare(activations, Acts, Blocks, 8, scales, corrections);
        float* vnni = stackalloc float[16];
        float* wide = stackalloc float[16];
        Q8Gemm.Tile4x4<Q4_0WeightBlock>(weights, rowBytes, activations, 34 * Blocks, scales, corrections, Blocks, vnni, 4);
        if (Avx512BW.IsSupported) Tile4x4Avx512(weights, rowBytes, activations, 34 * Blocks, scales, corrections, wide, 4);
        double maxDiff = 0;
        for (int i = 0; i < 16; i++) maxDiff = Math.Max(maxDiff, Math.Abs(vnni[i] - wide[i]) / (1 + Math.Abs(vnni[i])));

        const int calls = 200_000;
        double macs = (double)Rows * Acts * columns * calls;
        for (int pass = 0; pass < 3; pass++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) Q8Gemm.Tile4x4<Q4_0WeightBlock>(weights, rowBytes, activations, 34 * Blocks, scales, corrections, Blocks, vnni, 4);
            double vnniRate = macs / clock.Elapsed.TotalSeconds / 1e9;
            string wideText = "not supported";
            if (Avx512BW.IsSupported)
            {
                clock.Restart();
                for (int i = 0; i < calls; i++) Tile4x4Avx512(weights, rowBytes, activations, 34 * Blocks, scales, corrections, wide, 4);
                wideText = string.Create(CultureInfo.InvariantCulture, $"{macs / clock.Elapsed.TotalSeconds / 1e9:F1} GMAC/s");
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Q4_0 4×4 tile, one thread: AVX-VNNI 256 {vnniRate:F1} GMAC/s, AVX-512BW maddubs 512 {wideText} (results agree to {maxDiff:E1})"));
        }
        System.Runtime.InteropServices.NativeMemory.AlignedFree(weights);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(activations);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(scales);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(corrections);
    }

    // Two Q4_0 blocks of one row as 64 unsigned bytes, element order [block a: 0–31, block b: 0–31].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Unpack2(byte* block)
    {
        Vector256<byte> v = Vector256.Create(Vector128.Load(block + 2), Vector128.Load(block + 20));
        Vector256<byte> mask = Vector256.Create((byte)0x0F);
        Vector256<byte> low = v & mask, high = Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask;
        return Vector512.Create(Vector256.Create(low.GetLower(), high.GetLower()), Vector256.Create(low.GetUpper(), high.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scales2(byte* block) =>
        Vector512.Create(Vector256.Create(HalfTable.ToSingle(block)), Vector256.Create(HalfTable.ToSingle(block + 18)));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4Avx512(byte* weights, long rowBytes, byte* activations, long activationRowBytes, float* scales, int* corrections, float* output, long outputStride)
    {
        Vector512<float> c00 = Vector512<float>.Zero, c01 = Vector512<float>.Zero, c02 = Vector512<float>.Zero, c03 = Vector512<float>.Zero;
        Vector512<float> c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero, c12 = Vector512<float>.Zero, c13 = Vector512<float>.Zero;
        Vector512<float> c20 = Vector512<float>.Zero, c21 = Vector512<float>.Zero, c22 = Vector512<float>.Zero, c23 = Vector512<float>.Zero;
        Vector512<float> c30 = Vector512<float>.Zero, c31 = Vector512<float>.Zero, c32 = Vector512<float>.Zero, c33 = Vector512<float>.Zero;
        var ones = Vector512.Create((short)1);
        for (int ib = 0; ib < Blocks; ib += 2)
        {
            byte* w = weights + ib * 18;
            Vector512<byte> u0 = Unpack2(w), u1 = Unpack2(w + rowBytes), u2 = Unpack2(w + 2 * rowBytes), u3 = Unpack2(w + 3 * rowBytes);
            Vector512<float> d0 = Scales2(w), d1 = Scales2(w + rowBytes), d2 = Scales2(w + 2 * rowBytes), d3 = Scales2(w + 3 * rowBytes);
            byte* a0 = activations + 0 * activationRowBytes + ib * 34 + 2;
            Vector512<sbyte> y0 = Vector512.Create(Vector256.Load(a0), Vector256.Load(a0 + 34)).AsSByte();
            Vector512<int> z0 = Vector512.Load(corrections + (0 * Blocks + ib) * 8);
            Vector512<float> e0 = Vector512.Create(Vector256.Create(scales[0 * Blocks + ib]), Vector256.Create(scales[0 * Blocks + ib + 1]));
            c00 = Avx512F.FusedMultiplyAdd(d0 * e0, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u0, y0), ones) + z0), c00);
            c10 = Avx512F.FusedMultiplyAdd(d1 * e0, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u1, y0), ones) + z0), c10);
            c20 = Avx512F.FusedMultiplyAdd(d2 * e0, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u2, y0), ones) + z0), c20);
            c30 = Avx512F.FusedMultiplyAdd(d3 * e0, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u3, y0), ones) + z0), c30);
            byte* a1 = activations + 1 * activationRowBytes + ib * 34 + 2;
            Vector512<sbyte> y1 = Vector512.Create(Vector256.Load(a1), Vector256.Load(a1 + 34)).AsSByte();
            Vector512<int> z1 = Vector512.Load(corrections + (1 * Blocks + ib) * 8);
            Vector512<float> e1 = Vector512.Create(Vector256.Create(scales[1 * Blocks + ib]), Vector256.Create(scales[1 * Blocks + ib + 1]));
            c01 = Avx512F.FusedMultiplyAdd(d0 * e1, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u0, y1), ones) + z1), c01);
            c11 = Avx512F.FusedMultiplyAdd(d1 * e1, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u1, y1), ones) + z1), c11);
            c21 = Avx512F.FusedMultiplyAdd(d2 * e1, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u2, y1), ones) + z1), c21);
            c31 = Avx512F.FusedMultiplyAdd(d3 * e1, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u3, y1), ones) + z1), c31);
            byte* a2 = activations + 2 * activationRowBytes + ib * 34 + 2;
            Vector512<sbyte> y2 = Vector512.Create(Vector256.Load(a2), Vector256.Load(a2 + 34)).AsSByte();
            Vector512<int> z2 = Vector512.Load(corrections + (2 * Blocks + ib) * 8);
            Vector512<float> e2 = Vector512.Create(Vector256.Create(scales[2 * Blocks + ib]), Vector256.Create(scales[2 * Blocks + ib + 1]));
            c02 = Avx512F.FusedMultiplyAdd(d0 * e2, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u0, y2), ones) + z2), c02);
            c12 = Avx512F.FusedMultiplyAdd(d1 * e2, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u1, y2), ones) + z2), c12);
            c22 = Avx512F.FusedMultiplyAdd(d2 * e2, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u2, y2), ones) + z2), c22);
            c32 = Avx512F.FusedMultiplyAdd(d3 * e2, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u3, y2), ones) + z2), c32);
            byte* a3 = activations + 3 * activationRowBytes + ib * 34 + 2;
            Vector512<sbyte> y3 = Vector512.Create(Vector256.Load(a3), Vector256.Load(a3 + 34)).AsSByte();
            Vector512<int> z3 = Vector512.Load(corrections + (3 * Blocks + ib) * 8);
            Vector512<float> e3 = Vector512.Create(Vector256.Create(scales[3 * Blocks + ib]), Vector256.Create(scales[3 * Blocks + ib + 1]));
            c03 = Avx512F.FusedMultiplyAdd(d0 * e3, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u0, y3), ones) + z3), c03);
            c13 = Avx512F.FusedMultiplyAdd(d1 * e3, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u1, y3), ones) + z3), c13);
            c23 = Avx512F.FusedMultiplyAdd(d2 * e3, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u2, y3), ones) + z3), c23);
            c33 = Avx512F.FusedMultiplyAdd(d3 * e3, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u3, y3), ones) + z3), c33);
        }
        output[0 * outputStride + 0] = Vector512.Sum(c00);
        output[1 * outputStride + 0] = Vector512.Sum(c01);
        output[2 * outputStride + 0] = Vector512.Sum(c02);
        output[3 * outputStride + 0] = Vector512.Sum(c03);
        output[0 * outputStride + 1] = Vector512.Sum(c10);
        output[1 * outputStride + 1] = Vector512.Sum(c11);
        output[2 * outputStride + 1] = Vector512.Sum(c12);
        output[3 * outputStride + 1] = Vector512.Sum(c13);
        output[0 * outputStride + 2] = Vector512.Sum(c20);
        output[1 * outputStride + 2] = Vector512.Sum(c21);
        output[2 * outputStride + 2] = Vector512.Sum(c22);
        output[3 * outputStride + 2] = Vector512.Sum(c23);
        output[0 * outputStride + 3] = Vector512.Sum(c30);
        output[1 * outputStride + 3] = Vector512.Sum(c31);
        output[2 * outputStride + 3] = Vector512.Sum(c32);
        output[3 * outputStride + 3] = Vector512.Sum(c33);
    }


    /// <summary>Row-major 4×4 tiles (<see cref="Q8Gemm.Tile4x4"/>) against 8-row interleaved 8×4 and 8×8 tiles (<see cref="InterleavedGemm"/>)
    /// on the same L1-resident weights and 8 activation rows, one thread, for Q8_0 and Q4_0.</summary>
    public static void Layouts()
    {
        if (!Q8Gemm.IsSupported) { Console.WriteLine("needs AVX-VNNI or AVX2"); return; }
        Layout<Q8_0WeightBlock, Q8_0x8Block>(GgmlType.Q8_0);
        Layout<Q4_0WeightBlock, Q4_0x8Block>(GgmlType.Q4_0);
    }

    // Whether the 16-row tile's outputs (the 8-row group twice) equal the 8×8 tile's, bit for bit.
    private static string Agreement(float* wide, float* interleaved, int rows, int acts)
    {
        for (int b = 0; b < acts; b++)
            for (int r = 0; r < 2 * rows; r++)
                if (wide[b * 2 * rows + r] != interleaved[b * rows + r % rows]) return "DIFFERENT";
        return "bit-identical";
    }

    private static void Layout<TRow, TInterleaved>(GgmlType type)
        where TRow : unmanaged, IQ8WeightBlock where TInterleaved : unmanaged, IInterleavedBlock
    {
        const int rows = 8, acts = 8;
        var random = new Random(2);
        int columns = Blocks * 32;
        long rowBytes = TensorTypes.RowBytes(type, columns);
        var kernels = TensorTypes.Get(type);
        byte* weights = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rowBytes * rows), 64);
        byte* packed = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rowBytes * rows), 64);
        byte* activations = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(34 * Blocks * acts), 64);
        float* scales = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(4 * Blocks * acts), 64);
        int* corrections = (int*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(32 * Blocks * acts), 64);
        int* blockCorrections = (int*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(4 * Blocks * acts), 64);
        var row = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++) row[c] = (float)(random.NextDouble() * 2 - 1);
            kernels.Quantize(row, new Span<byte>(weights + r * rowBytes, (int)rowBytes));
        }
        Interleaved8.Repack(type, weights, packed, columns, 0, 1);
        for (int b = 0; b < acts; b++)
        {
            for (int c = 0; c < columns; c++) row[c] = (float)(random.NextDouble() * 2 - 1);
            ActivationQuantizer.Quantize(GgmlType.Q8_0, row, new Span<byte>(activations + b * 34 * Blocks, 34 * Blocks));
        }
        Q8Activations.Prepare(activations, acts, Blocks, TRow.Offset, scales, corrections, blockCorrections);
        float* rowMajor = stackalloc float[rows * acts];
        float* interleaved = stackalloc float[rows * acts];
        float* wide = stackalloc float[2 * rows * acts];
        byte* packed16 = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(2 * rowBytes * rows), 64);
        Buffer.MemoryCopy(packed, packed16, rowBytes * rows, rowBytes * rows);
        Buffer.MemoryCopy(packed, packed16 + rowBytes * rows, rowBytes * rows, rowBytes * rows);
        short* widened = (short*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(2 * 32 * Blocks * acts), 64);
        if (WideInterleavedGemm.IsSupported) WideInterleavedGemm.Widen(activations, 34 * Blocks, acts, Blocks, widened);
        const int calls = 100_000;
        double macs = (double)rows * acts * columns * calls;
        for (int pass = 0; pass < 3; pass++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
                for (int r = 0; r < rows; r += 4)
                    for (int b = 0; b < acts; b += 4)
                        Q8Gemm.Tile4x4<TRow>(weights + r * rowBytes, rowBytes, activations + b * 34 * Blocks, 34 * Blocks, scales + b * Blocks, corrections + b * Blocks * 8, Blocks, rowMajor + b * rows + r, rows);
            double rowRate = macs / clock.Elapsed.TotalSeconds / 1e9;
            clock.Restart();
            for (int i = 0; i < calls; i++)
            {
                InterleavedGemm.Tile8x4<TInterleaved>(packed, activations, 34 * Blocks, scales, blockCorrections, Blocks, interleaved, rows);
                InterleavedGemm.Tile8x4<TInterleaved>(packed, activations + 4 * 34 * Blocks, 34 * Blocks, scales + 4 * Blocks, blockCorrections + 4 * Blocks, Blocks, interleaved + 4 * rows, rows);
            }
            double interleavedRate = macs / clock.Elapsed.TotalSeconds / 1e9;
            clock.Restart();
            for (int i = 0; i < calls; i++)
                InterleavedGemm.Tile8x8<TInterleaved>(packed, activations, 34 * Blocks, scales, blockCorrections, Blocks, interleaved, rows);
            double squareRate = macs / clock.Elapsed.TotalSeconds / 1e9;
            string wideText = "n/a (needs AVX-512BW without AVX-VNNI)";
            if (WideInterleavedGemm.IsSupported)
            {
                clock.Restart();
                for (int i = 0; i < calls / 2; i++) // 16 rows (the group twice) per call
                    WideInterleavedGemm.Tile16x8<TInterleaved>(packed16, rowBytes * rows, widened, scales, blockCorrections, Blocks, wide, 2 * rows);
                double wideRate = macs / clock.Elapsed.TotalSeconds / 1e9;
                wideText = string.Create(CultureInfo.InvariantCulture, $"{wideRate:F1} GMAC/s ({Agreement(wide, interleaved, rows, acts)})");
                if (WideInterleavedGemm.TakesSmallQuants<TInterleaved>())
                {
                    clock.Restart();
                    for (int i = 0; i < calls / 2; i++)
                        WideInterleavedGemm.SmallTile16x8<TInterleaved>(packed16, rowBytes * rows, activations, 34 * Blocks, scales, blockCorrections, Blocks, wide, 2 * rows);
                    double smallRate = macs / clock.Elapsed.TotalSeconds / 1e9;
                    wideText += string.Create(CultureInfo.InvariantCulture, $", 512-bit vpmaddubsw 16×8 {smallRate:F1} GMAC/s ({Agreement(wide, interleaved, rows, acts)})");
                }
            }
            double maxDiff = 0;
            for (int i = 0; i < rows * acts; i++) maxDiff = Math.Max(maxDiff, Math.Abs(rowMajor[i] - interleaved[i]) / (1 + Math.Abs(rowMajor[i])));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{type} prompt tile, one thread: row-major 4×4 {rowRate:F1} GMAC/s, interleaved 8×4 {interleavedRate:F1}, 8×8 {squareRate:F1} GMAC/s ({squareRate / rowRate:F2}×; results agree to {maxDiff:E1}); 512-bit vpmaddwd 16×8 {wideText}"));
        }
        System.Runtime.InteropServices.NativeMemory.AlignedFree(weights);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(packed);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(activations);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(scales);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(corrections);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(blockCorrections);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(widened);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(packed16);
    }
}
