using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Tests;

/// <summary>Starts engines over stories260K (a real tiny model) and collects generations.</summary>
internal static class EngineFixture
{
    public const string ModelFile = "models/stories260K.gguf";

    public static (TransformerModel Model, Tokenizer Tokenizer) Load()
    {
        var model = TransformerModel.Load(Fixtures.Path(ModelFile), new WorkerPool(2));
        return (model, Tokenizer.FromMetadata(model.File.Metadata, ModelFile));
    }

    public static InferenceEngine Start(TransformerModel model, Tokenizer tokenizer, int maxSequences = 64, int batchTokens = 256,
        long kvTokens = 0, bool prefixCaching = true, int context = 512, Wafer.Engine.Speculation.SpeculationOptions? speculation = null,
        Wafer.Models.Inference.KvType kvType = Wafer.Models.Inference.KvType.F32) =>
        new(model, tokenizer, new EngineOptions
        {
            Scheduler = new SchedulerOptions
            {
                MaxSequences = maxSequences, MaxBatchTokens = batchTokens, ContextLength = context,
                Speculation = speculation ?? Wafer.Engine.Speculation.SpeculationOptions.Off,
            },
            KvCacheTokens = kvTokens > 0 ? kvTokens : (long)context * maxSequences,
            PrefixCaching = prefixCaching,
            KeyType = kvType,
            ValueType = kvType,
        });

    /// <summary>Runs a request to the end and returns its events.</summary>
    public static async Task<List<TokenEvent>> Collect(InferenceEngine engine, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var events = new List<TokenEvent>();
        await foreach (var e in engine.GenerateAsync(request, cancellationToken)) events.Add(e);
        return events;
    }
}
