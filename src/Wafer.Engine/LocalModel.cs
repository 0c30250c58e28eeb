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

    /// <summary>A BERT-family embedding model loaded beside it (<c>--embed-model</c>), its tokenizer and name; null when none.</summary>
    public (BertModel Model, Tokenizer Tokenizer, string Name)? Encoder { get; private set; }

    /// <summary>Loads the BERT-family GGUF at <paramref name="path"/> as this model's embedding model, run by its engine.</summary>
    /// <exception cref="Wafer.Models.Gguf.GgufFormatException">The file is not a BERT model.</exception>
    public void LoadEncoder(string path)
    {
        if (Encoder != null) throw new InvalidOperationException("an embedding model is already loaded");
        var encoder = BertModel.Load(path, Model.Pool);
        try
        {
            Encoder = (encoder, Tokenizer.FromMetadata(encoder.File.Metadata, Path.GetFileName(path)), Path.GetFileNameWithoutExtension(path));
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

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

    /// <summary>This model as a Microsoft.Extensions.AI embedding generator: its embedding model's sentence embeddings when one
    /// is loaded (<see cref="LoadEncoder"/>), else mean-pooled final hidden states.</summary>
    public IEmbeddingGenerator<string, Embedding<float>> AsEmbeddingGenerator() => Encoder is { } e
        ? new WaferEmbeddingGenerator(Engine, e.Tokenizer, e.Name, e.Model)
        : new WaferEmbeddingGenerator(Engine, Tokenizer, Name);

    /// <summary>Stops the engine and unmaps the model.</summary>
    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync().ConfigureAwait(false);
        Encoder?.Model.Dispose();
        Model.Dispose();
    }
}
