using BenchmarkDotNet.Attributes;
using Wafer.Kernels;
using Wafer.Kernels.Ops;
using Wafer.Kernels.Parallelism;

namespace Wafer.Benchmarks;

/// <summary>One projection of a small model (576 → 1536) per weight type: decode (batch 1) and prompt (batch 64).</summary>
[MemoryDiagnoser]
[JsonExporterAttribute.Full]
public unsafe class MatMulBenchmarks
{
    private MatMulInputs _inputs = null!;
    private WorkerPool _pool = null!;

    [Params(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16)]
    public GgmlType Type { get; set; }

    [Params(1, 64)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The GGUF layout, or for Q8_0/Q4_0/Q5_0 the interleaved one Wafer repacks them into at load (other types run the GGUF layout for both).</summary>
    [Params(WeightLayout.Gguf, WeightLayout.Interleaved8)]
    public WeightLayout Layout { get; set; }

    private WeightLayout _layout;

    [GlobalSetup]
    public void Setup()
    {
        int columns = Type is GgmlType.Q4_K or GgmlType.Q6_K ? 1536 : 576;
        int rows = Type is GgmlType.Q4_K or GgmlType.Q6_K ? 576 : 1536;
        _layout = Wafer.Kernels.Gemm.Interleaved8.CanRepack(Type, rows, columns) ? Layout : WeightLayout.Gguf;
        _inputs = new MatMulInputs(Type, rows, columns, Batch, _layout);
        _pool = new WorkerPool(Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();

    [Benchmark]
    public void Multiply()
    {
        fixed (byte* w = _inputs.Weights)
        {
            int columns = _inputs.Input.Length / Batch;
            MatMul.Compute(_inputs.Kernels, w, _inputs.Output.Length / Batch, columns, _inputs.Input, Batch, _inputs.Scratch, _inputs.Output, _pool, layout: _layout);
        }
    }
}
