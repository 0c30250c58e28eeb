using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;
using Wafer.Models.Inference;
using Wafer.Models.Quantization;
using Wafer.Models.Tokenization;

namespace Wafer.Bench.Eval;

/// <summary>Runs <c>wafer eval</c>: every weight type × KV type of one model, scored against the reference (the model as given,
/// F32 KV) and timed.</summary>
/// <remarks>
/// Step 1: write each quantized copy (<see cref="ModelQuantizer"/>, llama-quantize's rules) into the work folder.
/// Step 2: load every weight type once; perplexity, KL divergence and top-1 agreement of every setting, chunk by chunk
///         (<see cref="DistributionComparison"/>).
/// Step 3: prefill and decode tokens/s (and joules per token where powercap exists) of every setting through the engine.
/// Step 4: KV bytes per 1,000 tokens from each KV type's row layout.
/// </remarks>
internal sealed class EvalRunner(EvalOptions options)
{
    /// <summary>Stages as they progress: (stage, done, count).</summary>
    public async Task<EvalResult> RunAsync(IProgress<(string Stage, int Done, int Count)>? progress)
    {
        options.Validate();
        string work = options.WorkDirectory ?? Directory.CreateTempSubdirectory("wafer-eval-").FullName;
        Directory.CreateDirectory(work);
        try
        {
            // Step 1
            var weights = options.Weights.Any(EvalOptions.IsSource) ? options.Weights : ["source", .. options.Weights];
            var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            int done = 0;
            foreach (string w in weights)
            {
                progress?.Report(("quantizing", done, weights.Count));
                files[w] = EvalOptions.IsSource(w) ? options.ModelPath : Quantized(work, QuantizationScheme.Parse(w));
                progress?.Report(("quantizing", ++done, weights.Count));
            }
            // Step 2
            // The reference first, whether or not it was asked for; then every setting asked for.
            var settings = new List<(string Weights, KvType Kv)> { ("source", KvType.F32) };
            foreach (string w in options.Weights)
                foreach (var kv in options.KvTypes)
                    if (!(EvalOptions.IsSource(w) && kv == KvType.F32)) settings.Add((w, kv));
            IReadOnlyList<DistributionComparison.Row> quality;
            ModelConfig config;
            string sourceType;
            var models = new Dictionary<string, TransformerModel>(StringComparer.OrdinalIgnoreCase);
            using var pool = new WorkerPool(options.Threads);
            try
            {
                foreach (string w in weights) models[w] = TransformerModel.Load(files[w], pool);
                var reference = models["source"];
                config = reference.Config;
                sourceType = MainWeightType(reference.File);
                var tokenizer = Tokenizer.FromMetadata(reference.File.Metadata, Path.GetFileName(options.ModelPath));
                var tokens = tokenizer.Encode(File.ReadAllText(options.TextPath), addSpecial: true, parseSpecial: false);
                int chunks = Math.Min(options.MaxChunks, tokens.Count / options.Context);
                quality = DistributionComparison.Compute([.. settings.Select(s => new DistributionComparison.Setting(Label(s.Weights, s.Kv), models[s.Weights], s.Kv, s.Kv))],
                    tokens, options.Context, tokenizer.AddBos ? tokenizer.BosTokenId : -1, options.MaxChunks,
                    new Progress<int>(k => progress?.Report(("scoring chunks", k, Math.Max(chunks, 1)))));
            }
            finally
            {
                foreach (var m in models.Values) m.Dispose();
            }
            // Step 3
            var energy = EnergyCounter.TryOpen(options.PowercapRoot, out string? noEnergy);
            var rows = new List<EvalRow>();
            for (int i = 0; i < settings.Count; i++)
            {
                progress?.Report(("speed", i, settings.Count));
                var (w, kv) = settings[i];
                var speed = await EvalSpeed.MeasureAsync(files[w], kv, kv, options, energy).ConfigureAwait(false);
                // Step 4
                long kvBytes = 1000L * config.LayerCount * 2 * kv.RowBytes(config.KvLength);
                rows.Add(new EvalRow(EvalOptions.IsSource(w) ? $"source ({sourceType})" : w.ToUpperInvariant(), kv.Name(), kv.Name(), i == 0, new FileInfo(files[w]).Length,
                    quality[i], speed.PrefillTokensPerSecond, speed.DecodeTokensPerSecond, kvBytes, speed.JoulesPerToken));
                progress?.Report(("speed", i + 1, settings.Count));
            }
            return new EvalResult(options, rows, quality[0].ScoredTokens, noEnergy);
        }
        finally
        {
            if (options.WorkDirectory == null) Directory.Delete(work, recursive: true);
        }
    }

    private string Quantized(string work, QuantizationScheme scheme)
    {
        string path = Path.Combine(work, $"{Path.GetFileNameWithoutExtension(options.ModelPath)}-{scheme.Name}.gguf");
        if (!File.Exists(path)) ModelQuantizer.Quantize(options.ModelPath, path, scheme);
        return path;
    }

    private static string Label(string weights, KvType kv) => $"{weights} / KV {kv.Name()}";

    /// <summary>The tensor type that holds most of the model's matrix bytes (what "source" is).</summary>
    private static string MainWeightType(Models.Gguf.GgufFile file) =>
        file.Tensors.Where(t => t.Dimensions.Length == 2).GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteCount)).First().Key.ToString();
}
