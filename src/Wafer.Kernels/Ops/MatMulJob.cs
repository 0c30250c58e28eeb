using Wafer.Kernels.Gemm;
using Wafer.Kernels.Parallelism;
using Wafer.Kernels.Quantization;

namespace Wafer.Kernels.Ops;

/// <summary>One matrix product handed to the worker pool: items are tiles of 4 weight rows (8 for interleaved weights).</summary>
/// <remarks>One reusable instance per calling thread, so a forward pass allocates nothing.</remarks>
internal sealed unsafe class MatMulJob : IRangeWork
{
    /// <summary>Which kernel runs the tiles.</summary>
    public enum WeightFamily { Other, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K, Q8_0x8, Q4_0x8, Q5_0x8 }

    private const int RowTile = 4;
    private const int GroupRows = 8;
    private const int ActivationChunkBytes = 256 * 1024; // activation rows per pass stay well inside the 1 MiB L2

    [ThreadStatic] private static MatMulJob? s_forThisThread;

    public static MatMulJob ForThisThread => s_forThisThread ??= new MatMulJob();

    public ITensorTypeKernels? Kernels;
    public WeightFamily Family;
    public byte* Weights;            // [Rows, WeightRowBytes]
    public long WeightRowBytes;
    public int Rows, Columns, Batch;
    public byte* Activations;        // [Batch, ActivationRowBytes]
    public int ActivationRowBytes;
    public float* Scales;            // [Batch, blocks] (Q8_0 family)
    public int* Corrections;         // [Batch, blocks, 8] (Q8_0 family)
    public int* BlockCorrections;    // [Batch, blocks] (Q8_0 family)
    public float* Output;            // [Batch, Rows]

    /// <summary>Whether items are 8-row groups of interleaved weights rather than 4-row tiles.</summary>
    public static bool IsInterleaved(WeightFamily family) => family is WeightFamily.Q8_0x8 or WeightFamily.Q4_0x8 or WeightFamily.Q5_0x8;

    public void Run(int start, int end)
    {
        if (Family == WeightFamily.Q8_0x8) { RunInterleaved<Q8_0x8Block>(start, end); return; }
        if (Family == WeightFamily.Q4_0x8) { RunInterleaved<Q4_0x8Block>(start, end); return; }
        if (Family == WeightFamily.Q5_0x8) { RunInterleaved<Q5_0x8Block>(start, end); return; }
        int rowStart = start * RowTile, rowEnd = Math.Min(Rows, end * RowTile);
        switch (Family)
        {
            case WeightFamily.Q8_0: RunQ8<Q8_0WeightBlock>(rowStart, rowEnd); break;
            case WeightFamily.Q4_0: RunQ8<Q4_0WeightBlock>(rowStart, rowEnd); break;
            case WeightFamily.Q5_0: RunQ8<Q5_0WeightBlock>(rowStart, rowEnd); break;
            case WeightFamily.Q4_K: RunQ4K(rowStart, rowEnd); break;
            case WeightFamily.Q6_K: RunQ6K(rowStart, rowEnd); break;
            default: RunDots(rowStart, rowEnd); break;
        }
    }

    private void RunQ8<T>(int rowStart, int rowEnd) where T : unmanaged, IQ8WeightBlock
    {
        int blocks = Columns / 32;
        int chunk = Math.Max(4, ActivationChunkBytes / (blocks * 70) & ~3);
        for (int b0 = 0; b0 < Batch; b0 += chunk)
        {
            int b1 = Math.Min(Batch, b0 + chunk);
            int r = rowStart;
            for (; r + RowTile <= rowEnd; r += RowTile)
            {
                byte* w = Weights + r * WeightRowBytes;
                int b = b0;
                for (; b + 4 <= b1; b += 4)
                    Q8Gemm.Tile4x4<T>(w, WeightRowBytes, Activations + (long)b * ActivationRowBytes, ActivationRowBytes,
                        Scales + (long)b * blocks, Corrections + (long)b * blocks * 8, blocks, Output + (long)b * Rows + r, Rows);
                for (; b < b1; b++)
                    Q8Gemm.Tile4x1<T>(w, WeightRowBytes, Activations + (long)b * ActivationRowBytes, ActivationRowBytes,
                        Scales + (long)b * blocks, Corrections + (long)b * blocks * 8, blocks, Output + (long)b * Rows + r, Rows);
            }
            for (; r < rowEnd; r++)
                for (int b = b0; b < b1; b++)
                    Output[(long)b * Rows + r] = Q8Gemm.Dot1x1<T>(Weights + r * WeightRowBytes, Activations + (long)b * ActivationRowBytes,
                        Scales + (long)b * blocks, Corrections + (long)b * blocks * 8, blocks);
        }
    }

    // Items are 8-row groups; 8 activation rows per tile where there are 8, then 4, then 1.
    private void RunInterleaved<T>(int groupStart, int groupEnd) where T : unmanaged, IInterleavedBlock
    {
        int blocks = Columns / 32;
        if (WideInterleavedGemm.Enabled && Batch >= 4) { RunInterleavedWide<T>(groupStart, groupEnd, blocks); return; }
        int chunk = Math.Max(8, ActivationChunkBytes / (blocks * 42) & ~7); // 34 bytes of quants, a scale and a correction per block
        for (int b0 = 0; b0 < Batch; b0 += chunk)
        {
            int b1 = Math.Min(Batch, b0 + chunk);
            for (int g = groupStart; g < groupEnd; g++) RunInterleavedGroup<T>(g, b0, b1, blocks);
        }
    }

    // The same with the 512-bit prompt tiles (AVX-512BW without AVX-VNNI) for batches of 4 rows or more, each chunk's activation
    // quants widened to 16 bits once into a per-thread buffer (twice the bytes, so half the rows per chunk); decode, and the last
    // 1–3 rows of a batch, keep the 256-bit 8×1 tile, which streams weights from memory at the bandwidth.
    private void RunInterleavedWide<T>(int groupStart, int groupEnd, int blocks) where T : unmanaged, IInterleavedBlock
    {
        bool small = WideInterleavedGemm.TakesSmallQuants<T>(); // Q4_0, Q5_0: 512-bit vpmaddubsw on the activations as they are
        // 64 bytes of widened quants (Q8_0), a scale and a correction per block; small quants read the 34-byte rows as they are.
        int chunk = Math.Max(8, ActivationChunkBytes / (blocks * (small ? 42 : 74)) & ~7);
        int tiled = Batch & ~3;
        short* widened = small ? null : WideScratch((long)Math.Min(chunk, tiled) * blocks * 32);
        for (int b0 = 0; b0 < Batch; b0 += chunk)
        {
            int b1 = Math.Min(Batch, b0 + chunk), b4 = Math.Min(b1, tiled);
            if (!small && b4 > b0) WideInterleavedGemm.Widen(Activations + (long)b0 * ActivationRowBytes, ActivationRowBytes, b4 - b0, blocks, widened);
            long groupBytes = GroupRows * WeightRowBytes;
            int g = groupStart;
            for (; g + 1 < groupEnd; g += 2)
            {
                byte* w = Weights + g * groupBytes;
                float* output = Output + g * GroupRows;
                int b = b0;
                if (small)
                {
                    for (; b + 8 <= b4; b += 8)
                        WideInterleavedGemm.SmallTile16x8<T>(w, groupBytes, Activations + (long)b * ActivationRowBytes, ActivationRowBytes,
                            Scales + (long)b * blocks, BlockCorrections + (long)b * blocks, blocks, output + (long)b * Rows, Rows);
                    for (; b + 4 <= b4; b += 4)
                        WideInterleavedGemm.SmallTile16x4<T>(w, groupBytes, Activations + (long)b * ActivationRowBytes, ActivationRowBytes,
                            Scales + (long)b * blocks, BlockCorrections + (long)b * blocks, blocks, output + (long)b * Rows, Rows);
                }
                else
                {
                    for (; b + 8 <= b4; b += 8)
                        WideInterleavedGemm.Tile16x8<T>(w, groupBytes, widened + (long)(b - b0) * blocks * 32,
                            Scales + (long)b * blocks, BlockCorrections + (long)b * blocks, blocks, output + (long)b * Rows, Rows);
                    for (; b + 4 <= b4; b += 4)
                        WideInterleavedGemm.Tile16x4<T>(w, groupBytes, widened + (long)(b - b0) * blocks * 32,
                            Scales + (long)b * blocks, BlockCorrections + (long)b * blocks, blocks, output + (long)b * Rows, Rows);
                }
                RunInterleavedGroup<T>(g, b, b1, blocks);
                RunInterleavedGroup<T>(g + 1, b, b1, blocks);
            }
            if (g < groupEnd) RunInterleavedGroup<T>(g, b0, b1, blocks);
        }
    }

    // One 8-row group, activation rows [b0, b1), with the 256-bit tiles.
    private void RunInterleavedGroup<T>(int g, int b0, int b1, int blocks) where T : unmanaged, IInterleavedBlock
    {
        byte* w = Weights + g * GroupRows * WeightRowBytes;
        float* output = Output + g * GroupRows;
        int b = b0;
        for (; b + 8 <= b1; b += 8)
            InterleavedGemm.Tile8x8<T>(w, Activations + (long)b * ActivationRowBytes, ActivationRowBytes,
                Scales + (long)b * blocks, BlockCorrections + (long)b * blocks, blocks, output + (long)b * Rows, Rows);
        for (; b + 4 <= b1; b += 4)
            InterleavedGemm.Tile8x4<T>(w, Activations + (long)b * ActivationRowBytes, ActivationRowBytes,
                Scales + (long)b * blocks, BlockCorrections + (long)b * blocks, blocks, output + (long)b * Rows, Rows);
        for (; b < b1; b++)
            InterleavedGemm.Tile8x1<T>(w, Activations + (long)b * ActivationRowBytes,
                Scales + (long)b * blocks, BlockCorrections + (long)b * blocks, blocks, output + (long)b * Rows);
    }

    [ThreadStatic] private static short[]? s_wideScratch;

    // Per thread, pinned, 64-byte aligned, grown when a product needs more; the GC frees it with its thread.
    private static short* WideScratch(long shorts)
    {
        if (s_wideScratch is null || s_wideScratch.Length < shorts + 32)
            s_wideScratch = GC.AllocateUninitializedArray<short>((int)shorts + 32, pinned: true);
        fixed (short* start = s_wideScratch) return (short*)(((nint)start + 63) & ~(nint)63);
    }

    private void RunQ4K(int rowStart, int rowEnd)
    {
        int blocks = Columns / 256;
        long ahead = PrefetchAhead();
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = Weights + r * WeightRowBytes;
            int b = 0;
            for (; b + 4 <= Batch; b += 4)
                Q4KGemm.Tile1x4(w, Activations + (long)b * ActivationRowBytes, ActivationRowBytes, blocks, Output + (long)b * Rows + r, Rows);
            for (; b < Batch; b++)
                Output[(long)b * Rows + r] = Q4KGemm.Dot1x1(w, Activations + (long)b * ActivationRowBytes, blocks, ahead);
        }
    }

    private void RunQ6K(int rowStart, int rowEnd)
    {
        int blocks = Columns / 256;
        long ahead = PrefetchAhead();
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = Weights + r * WeightRowBytes;
            int b = 0;
            for (; b + 4 <= Batch; b += 4)
                Q6KGemm.Tile1x4(w, Activations + (long)b * ActivationRowBytes, ActivationRowBytes, blocks, Output + (long)b * Rows + r, Rows);
            for (; b < Batch; b++)
                Output[(long)b * Rows + r] = Q6KGemm.Dot1x1(w, Activations + (long)b * ActivationRowBytes, blocks, ahead);
        }
    }

    /// <summary>How far ahead (bytes, whole rows) a one-row-at-a-time sweep asks for weights: about 8 KiB, at least one row.</summary>
    private long PrefetchAhead() => Math.Max(1, Q8Gemm.PrefetchBytes / WeightRowBytes) * WeightRowBytes;

    private void RunDots(int rowStart, int rowEnd)
    {
        var kernels = Kernels!;
        for (int r = rowStart; r < rowEnd; r++)
        {
            var row = new ReadOnlySpan<byte>(Weights + r * WeightRowBytes, (int)WeightRowBytes);
            for (int b = 0; b < Batch; b++)
                Output[(long)b * Rows + r] = kernels.Dot(row, new ReadOnlySpan<byte>(Activations + (long)b * ActivationRowBytes, ActivationRowBytes), Columns);
        }
    }
}
