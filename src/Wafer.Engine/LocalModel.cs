using Microsoft.Extensions.AI;
using Wafer.Engine.Chat;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Engine;

/// <summary>A GGUF model loaded and served in-process: model, tokenizer, chat template and a running engine.</summary>
/// <example>
/// <code>
/// await using var model = LocalModel.Load("model.gguf");
/// await foreach (var update in model.AsChatClient().GetStreamingResponseAsync("Tell me a story"))
///     Console.Write(update.Text);
/// </code>
/// </example>
public sealed class LocalModel : IAsyncDisposable
{
    private LocalModel(TransformerModel model, Tokenizer tokenizer, InferenceEngine engine, ChatPromptRenderer renderer, string name)
    {
        Model = model;
        Tokenizer = tokenizer;
        Engine = engine;
        Renderer = renderer;
        Name = name;
    }

    public TransformerModel Model { get; }
    public Tokenizer Tokenizer { get; }
    public InferenceEngine Engine { get; }
    public ChatPromptRenderer Renderer { get; }

    /// <summary>The name the model is served as.</summary>
    public string Name { get; }

    /// <summary>Loads <paramref name="path"/> and starts an engine (default options: the model's context up to 4096, KV cache from free memory; the engine resolves the context length).</summary>
    /// <param name="repack">Repack Q8_0/Q4_0/Q5_0 weights for the matrix kernels (see <see cref="TransformerModel.Load"/>).</param>
    public static LocalModel Load(string path, EngineOptions? options = null, int threads = 0, string? name = null, Models.ChatTemplates.ChatTemplate? chatTemplate = null,
        bool repack = true)
    {
        var model = TransformerModel.Load(path, new WorkerPool(threads), repack);
        try
        {
            string fileName = Path.GetFileName(path);
            var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, fileName);
            options ??= new EngineOptions();
            var template = chatTemplate ?? Models.ChatTemplates.ChatTemplateResolver.FromModel(model.File.Metadata, fileName);
            var engine = new InferenceEngine(model, tokenizer, options);
            return new LocalModel(model, tokenizer, engine, new ChatPromptRenderer(template, tokenizer), name ?? Path.GetFileNameWithoutExtension(path));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>This model as a Microsoft.Extensions.AI chat client.</summary>
    public IChatClient AsChatClient() => new WaferChatClient(Engine, Renderer, Name);

    /// <summary>This model as a Microsoft.Extensions.AI embedding generator (mean-pooled final hidden states).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> AsEmbeddingGenerator() => new WaferEmbeddingGenerator(Engine, Tokenizer, Name);

    /// <summary>Stops the engine and unmaps the model.</summary>
    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync().ConfigureAwait(false);
        Model.Dispose();
    }
}
