using System.Diagnostics;
using System.Globalization;
using Wafer.Kernels.Ops;

namespace Wafer.Benchmarks;

/// <summary>How fast a run of F16 KV rows widens to F32, 8 values a step (AVX2) against 16 (AVX-512F), on one L1-resident
/// run of 64 rows × 64 values (one KV head's run, through the call attention makes). <c>dotnet run -c Release --project bench/Wafer.Benchmarks -- kv</c>.</summary>
internal static class KvWidening
{
    public static void Run()
    {
        const int rows = 64, width = 64, stride = 192, calls = 200_000;
        var random = new Random(1);
        var source = new ushort[rows * stride];
        for (int i = 0; i < source.Length; i++) source[i] = BitConverter.HalfToUInt16Bits((Half)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-6, 2))));
        var narrow = new float[rows * width];
        var wide = new float[rows * width];
        Console.WriteLine($"F16 → F32, {rows} rows × {width} values at a stride of {stride}, one thread, 512-bit loop {(KvRowCodec.WideHalves ? "available" : "not available")}");
        for (int pass = 0; pass < 3; pass++)
        {
            double a = Time(() => KvRowCodec.HalfRowsToSingle(source, stride, rows, narrow, wide: false));
            double b = Time(() => KvRowCodec.HalfRowsToSingle(source, stride, rows, wide, wide: true));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pass {pass + 1}: 256-bit {rows * width * (double)calls / a / 1e9:F2} Gvalues/s, 512-bit {rows * width * (double)calls / b / 1e9:F2} Gvalues/s ({a / b:F2}×), same bits: {narrow.AsSpan().SequenceEqual(wide)}"));
        }

        static double Time(Action once)
        {
            once();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) once();
            return clock.Elapsed.TotalSeconds;
        }
    }
}
