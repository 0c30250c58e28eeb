using Microsoft.Extensions.Logging;
using Wafer.Server.Hosting;

namespace Wafer.Server.Endpoints;

/// <summary>What the endpoints share: the served models, options, metrics and the log. Admission control and the context
/// length are each loaded model's (<see cref="ServedModel.Admission"/>, <c>InferenceEngine.ContextLength</c>).</summary>
internal sealed record ServerContext(ModelRegistry<ServedModel> Models, ServerOptions Options, ServerMetrics Metrics, ILogger Logger)
{
    /// <summary>The knowledge base (<c>--kb</c>), once the model and its embedding model are loaded; null without one.</summary>
    public Retrieval? Retrieval { get; init; }

    /// <summary>Throws 503 until the models loaded at start are loaded (with why, when one failed).</summary>
    public void RequireReady()
    {
        var preloaded = Models.Preloaded;
        if (preloaded.IsCompletedSuccessfully) return;
        if (preloaded.IsFaulted) throw new Api.ApiException(503, $"the model failed to load: {preloaded.Exception!.InnerException!.Message}", "server_error");
        throw new Api.ApiException(503, "the model is still loading; retry shortly", "server_error") { RetryAfterSeconds = 1 };
    }
}
