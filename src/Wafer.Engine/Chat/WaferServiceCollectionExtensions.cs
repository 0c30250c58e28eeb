using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Wafer.Engine.Chat;

/// <summary>Registers a local GGUF model with a service collection: <c>services.AddWaferModel("model.gguf");</c> then inject
/// <see cref="IChatClient"/> or <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>. For middleware, compose with
/// Microsoft.Extensions.AI's own builder: <c>services.AddChatClient(sp =&gt; sp.GetRequiredService&lt;LocalModel&gt;().AsChatClient()).UseFunctionInvocation();</c>.</summary>
public static class WaferServiceCollectionExtensions
{
    /// <summary>Adds the model (one <see cref="LocalModel"/>, loaded on first use and disposed with the container), its
    /// <see cref="IChatClient"/> and its embedding generator, as singletons.</summary>
    public static IServiceCollection AddWaferModel(this IServiceCollection services, string modelPath, EngineOptions? options = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"the model '{modelPath}' does not exist", modelPath);
        services.AddSingleton(_ => LocalModel.Load(modelPath, options, threads));
        services.AddSingleton(sp => sp.GetRequiredService<LocalModel>().AsChatClient());
        services.AddSingleton(sp => sp.GetRequiredService<LocalModel>().AsEmbeddingGenerator());
        return services;
    }
}
