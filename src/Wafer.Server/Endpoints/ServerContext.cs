using Microsoft.Extensions.Logging;
using Wafer.Server.Admission;
using Wafer.Server.Hosting;

namespace Wafer.Server.Endpoints;

/// <summary>What the endpoints share: the model host, admission control, options, metrics and the log. The context length
/// is not here: it is the engine's (<c>InferenceEngine.ContextLength</c>).</summary>
internal sealed record ServerContext(ModelHost Host, AdmissionController Admission, ServerOptions Options, ServerMetrics Metrics, ILogger Logger)
{
    /// <summary>The knowledge base (<c>--kb</c>), once the model and its embedding model are loaded; null without one.</summary>
    public Retrieval? Retrieval { get; init; }
}
