using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Wafer.Engine.Chat;

/// <summary>Registers a local GGUF model with a service collection, as Microsoft.Extensions.AI's providers do:
/// <c>services.AddWaferChatClient("model.gguf").UseFunctionInvocation();</c> then inject <see cref="IChatClient"/>.</summary>
public static class WaferServiceCollectionExtensions
{
    /// <summary>Adds the model (one <see cref="LocalModel"/>, loaded on first use and disposed with the container), its
    /// <see cref="IChatClient"/> and its <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>; returns the chat client's
    /// builder for middleware (function invocation, logging, caching).</summary>
    public static ChatClientBuilder AddWaferChatClient(this IServiceCollection services, string modelPath, EngineOptions? options = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"the model '{modelPath}' does not exist", modelPath);
        services.AddSingleton(_ => LocalModel.Load(modelPath, options, threads));
        services.AddEmbeddingGenerator(sp => sp.GetRequiredService<LocalModel>().AsEmbeddingGenerator());
        return services.AddChatClient(sp => sp.GetRequiredService<LocalModel>().AsChatClient());
    }
}
