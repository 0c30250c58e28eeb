using Wafer.Engine.Scheduling;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tests.Architectures;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Tests.Support;

/// <summary>An engine over a random-weight 2-layer model written to a temporary folder (context 64, 40 tokens "t0"…"t39"):
/// tests of the engine's contract run with no fixtures. With <c>byteFallback</c> it also has the 256 byte tokens, so it can spell any text.</summary>
internal sealed class TinyEngine : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-tiny-").FullName;

    public TinyEngine(int context = 0, int maxSequences = 8, int threads = 1, bool byteFallback = false)
    {
        Model = TransformerModel.Load(TinyModel.Write(_dir, "llama", byteFallback: byteFallback), new WorkerPool(threads));
        Tokenizer = Tokenizer.FromMetadata(Model.File.Metadata, "tiny.gguf");
        Engine = Start(context, maxSequences);
    }

    public TransformerModel Model { get; }

    public Tokenizer Tokenizer { get; }

    public InferenceEngine Engine { get; private set; }

    /// <summary>Another engine over the same model (the previous one is left to the caller).</summary>
    public InferenceEngine Start(int context = 0, int maxSequences = 8) => Engine = new InferenceEngine(Model, Tokenizer, new EngineOptions
    {
        Scheduler = new SchedulerOptions { ContextLength = context, MaxSequences = maxSequences, MaxBatchTokens = 64 },
        KvCacheTokens = 64L * maxSequences,
    });

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Model.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
