namespace Wafer.Bench.Eval;

/// <summary>What <c>wafer eval</c> compares: a model's weight types (made with <c>wafer quantize</c>'s rules) crossed with KV-cache
/// types, scored on one text against the highest-precision setting (the model as given, F32 KV).</summary>
internal sealed record EvalOptions
{
    public required string ModelPath { get; init; }
    public required string TextPath { get; init; }

    /// <summary>Weight types: "source" (the file as given) or a scheme of <c>wafer quantize</c>.</summary>
    public IReadOnlyList<string> Weights { get; init; } = ["source", "Q8_0", "Q4_0"];

    public IReadOnlyList<Models.Inference.KvType> KvTypes { get; init; } = [Models.Inference.KvType.F32, Models.Inference.KvType.F16, Models.Inference.KvType.Q8_0];

    /// <summary>Chunk length of the perplexity and divergence pass, in tokens.</summary>
    public int Context { get; init; } = 512;

    public int MaxChunks { get; init; } = 8;

    /// <summary>Prompt tokens of the speed pass (prefill tokens/s).</summary>
    public int PromptTokens { get; init; } = 512;

    /// <summary>Generated tokens of the speed pass (decode tokens/s).</summary>
    public int DecodeTokens { get; init; } = 64;

    /// <summary>Timed runs of the speed pass per setting, after one warm-up.</summary>
    public int Repetitions { get; init; } = 2;

    public int Threads { get; init; }

    /// <summary>Where quantized copies are written (kept); null = a temporary folder, deleted after.</summary>
    public string? WorkDirectory { get; init; }

    public string PowercapRoot { get; init; } = "/sys/class/powercap";

    public void Validate()
    {
        if (!File.Exists(ModelPath)) throw new FileNotFoundException($"model file '{ModelPath}' does not exist", ModelPath);
        if (!File.Exists(TextPath)) throw new FileNotFoundException($"text file '{TextPath}' does not exist", TextPath);
        if (Weights.Count == 0 || KvTypes.Count == 0) throw new ArgumentException("--weights and --kv each need at least one type");
        if (Weights.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Weights.Count) throw new ArgumentException($"--weights '{string.Join(",", Weights)}' names a type twice");
        if (KvTypes.Distinct().Count() != KvTypes.Count) throw new ArgumentException("--kv names a type twice");
        foreach (string w in Weights.Where(w => !IsSource(w))) Models.Quantization.QuantizationScheme.Parse(w);
        if (MaxChunks < 1) throw new ArgumentException($"--chunks {MaxChunks} must be at least 1");
        if (PromptTokens < 1 || DecodeTokens < 2) throw new ArgumentException("--prompt-tokens must be at least 1 and --decode-tokens at least 2");
        if (Repetitions < 1) throw new ArgumentException($"-r {Repetitions} must be at least 1");
    }

    public static bool IsSource(string weights) => string.Equals(weights, "source", StringComparison.OrdinalIgnoreCase);
}
