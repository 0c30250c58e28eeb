using System.Diagnostics;
using System.Globalization;
using Wafer.Kernels;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;

namespace Wafer.Benchmarks;

/// <summary>A fast Stopwatch sweep over the matrix product (types × batch), for iterating on kernels; prints GB/s of weights and GMAC/s.</summary>
internal static unsafe class QuickTimings
{
    public static void Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
        using var pool = new WorkerPool(threads);
        Console.WriteLine("type   layout        rows×cols     batch   ms/call   weight GB/s   GMAC/s");
        foreach (var (type, layout) in Cases())
            foreach (int batch in new[] { 1, 64 })
            {
                bool k = type is GgmlType.Q4_K or GgmlType.Q6_K;
                int rows = k ? 896 : 4864, columns = k ? 4864 : 896;
                var inputs = new MatMulInputs(type, rows, columns, batch, layout);
                fixed (byte* w = inputs.Weights)
                {
                    int calls = batch == 1 ? 400 : 20;
                    for (int i = 0; i < 3; i++) MatMul.Compute(inputs.Kernels, w, rows, columns, inputs.Input, batch, inputs.Scratch, inputs.Output, pool, layout: layout);
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < calls; i++) MatMul.Compute(inputs.Kernels, w, rows, columns, inputs.Input, batch, inputs.Scratch, inputs.Output, pool, layout: layout);
                    double seconds = clock.Elapsed.TotalSeconds / calls;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{type,-6} {layout,-12} {rows}×{columns,-8} {batch,5} {seconds * 1e3,9:F3} {inputs.Weights.Length / seconds / 1e9,12:F1} {(double)rows * columns * batch / seconds / 1e9,9:F1}"));
                }
            }
        Console.WriteLine();
        Console.WriteLine("decode from memory (weights copied over 512 MiB, each call reads the next copy, so nothing is cached):");
        Console.WriteLine("type   layout        rows×cols     ms/call   weight GB/s");
        foreach (var (type, layout) in Cases())
            if (type != GgmlType.Q5_0) Cold(type, layout, pool);
    }

    // Every type in the GGUF layout, and the types that can be repacked in the interleaved one too.
    private static IEnumerable<(GgmlType, WeightLayout)> Cases()
    {
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K })
        {
            yield return (type, WeightLayout.Gguf);
            if (Wafer.Kernels.Gemm.Interleaved8.CanRepack(type, 8, 32)) yield return (type, WeightLayout.Interleaved8);
        }
    }

    private static void Cold(GgmlType type, WeightLayout layout, WorkerPool pool)
    {
        bool k = type is GgmlType.Q4_K or GgmlType.Q6_K;
        int rows = k ? 896 : 4864, columns = k ? 4864 : 896;
        var inputs = new MatMulInputs(type, rows, columns, 1, layout);
        long size = inputs.Weights.Length;
        int copies = (int)((512L << 20) / size);
        byte* big = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(size * copies), 4096);
        try
        {
            for (int c = 0; c < copies; c++) inputs.Weights.CopyTo(new Span<byte>(big + c * size, (int)size));
            for (int c = 0; c < copies; c++) MatMul.Compute(inputs.Kernels, big + c * size, rows, columns, inputs.Input, 1, inputs.Scratch, inputs.Output, pool, layout: layout);
            int calls = copies * 4;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) MatMul.Compute(inputs.Kernels, big + i % copies * size, rows, columns, inputs.Input, 1, inputs.Scratch, inputs.Output, pool, layout: layout);
            double seconds = clock.Elapsed.TotalSeconds / calls;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{type,-6} {layout,-12} {rows}×{columns,-8} {seconds * 1e3,9:F3} {size / seconds / 1e9,12:F1}"));
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(big);
        }
    }
}
