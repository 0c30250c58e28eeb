using Wafer.Server.Admission;
using Wafer.Server.Hosting;

namespace Wafer.Server.Endpoints;

/// <summary>What the endpoints share: the model host, admission control, options and metrics.</summary>
internal sealed record ServerContext(ModelHost Host, AdmissionController Admission, ServerOptions Options, ServerMetrics Metrics, int ContextLength);
