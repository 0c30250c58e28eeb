using BenchmarkDotNet.Running;
using Wafer.Benchmarks;

// `dotnet run -c Release --project bench/Wafer.Benchmarks -- quick` prints a Stopwatch table in seconds; `-- isa` compares
// 256-bit VNNI with 512-bit maddubs on the prompt tile, and row-major with 8-row interleaved weights; `-- kv`
// widens F16 KV rows 8 and 16 values at a time;
// anything else goes to BenchmarkDotNet (e.g. `-- --filter '*MatMul*'`), which writes JSON under BenchmarkDotNet.Artifacts/.
if (args.Length > 0 && args[0] == "quick")
{
    QuickTimings.Run(args.Skip(1).ToArray());
    return;
}
if (args.Length > 0 && args[0] == "isa")
{
    InstructionChoice.Run();
    InstructionChoice.Layouts();
    return;
}
if (args.Length > 0 && args[0] == "kv")
{
    KvWidening.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(MatMulBenchmarks).Assembly).Run(args);
