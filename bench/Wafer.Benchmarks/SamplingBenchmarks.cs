using BenchmarkDotNet.Attributes;
using Wafer.Models.Sampling;

namespace Wafer.Benchmarks;

/// <summary>One token sampled from a vocabulary of logits: the fast path of <see cref="SamplerChain.Create"/> against the
/// full-sort reference chain (the implementation before partial selection), per chain shape.</summary>
/// <remarks>The logits look like a language model's: a bulk ~ N(−2, 2²) and 32 tokens ahead of it by a falling margin, so the
/// top-p nucleus is a few tokens, as it usually is. <c>dotnet run -c Release --project bench/Wafer.Benchmarks -- --filter '*Sampling*' --job short</c></remarks>
[MemoryDiagnoser]
[JsonExporterAttribute.Full]
public class SamplingBenchmarks
{
    private float[] _logits = [];  // [Vocabulary]
    private SamplerChain _chain = null!;

    [Params(49152, 151936)]
    public int Vocabulary { get; set; }

    /// <summary>greedy; default (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8); temperature (0.8, no truncation);
    /// top-p (0.95 alone); penalties (the default chain with repetition 1.1, frequency 0.2 and presence 0.1 over 64 tokens).</summary>
    [Params("greedy", "default", "temperature", "top-p", "penalties")]
    public string Chain { get; set; } = "default";

    /// <summary>reference: the sampler-by-sampler chain over every token; fast: <see cref="SamplerChain.Create"/>.</summary>
    [Params("reference", "fast")]
    public string Path { get; set; } = "fast";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _logits = new float[Vocabulary];
        for (int i = 0; i < _logits.Length; i++)
            _logits[i] = (float)(-2 + 2 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        for (int j = 0; j < 32; j++) _logits[random.Next(Vocabulary)] = 16 - 0.4f * j;
        var options = Chain switch
        {
            "greedy" => SamplingOptions.Greedy,
            "default" => new SamplingOptions(),
            "temperature" => new SamplingOptions { TopK = 0, TopP = 1, MinP = 0 },
            "top-p" => new SamplingOptions { TopK = 0, TopP = 0.95f, MinP = 0 },
            "penalties" => new SamplingOptions { RepetitionPenalty = 1.1f, FrequencyPenalty = 0.2f, PresencePenalty = 0.1f },
            _ => throw new ArgumentException($"unknown chain '{Chain}'"),
        };
        options = options with { Seed = 42 };
        _chain = Path == "fast" ? SamplerChain.Create(options) : SamplerChain.CreateReference(options);
        for (int t = 0; t < 64; t++) _chain.Accept(random.Next(Vocabulary));
    }

    [Benchmark]
    public int Sample() => _chain.Sample(_logits);
}
