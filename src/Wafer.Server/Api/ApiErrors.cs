using Wafer.Engine;
using Wafer.Models;

namespace Wafer.Server.Api;

/// <summary>Maps what the engine throws to the OpenAI-shaped error the client gets.</summary>
internal static class ApiErrors
{
    /// <summary>400 for a bad parameter (<paramref name="promptParam"/> renames the engine's <c>prompt</c>, e.g. to <c>messages</c>),
    /// 503 while the engine stops, 500 for a failed step or anything unexpected.</summary>
    public static ApiException From(Exception error, string? promptParam = null) => error switch
    {
        ApiException api => api,
        InvalidParameterException p => new ApiException(400, p.Message, param: p.Parameter == "prompt" && promptParam != null ? promptParam : p.Parameter, code: p.Code),
        EngineStoppedException s => new ApiException(503, s.Message, "server_error", code: "shutting_down") { RetryAfterSeconds = 1 },
        EngineFailureException f => new ApiException(500, f.Message, "server_error", code: "engine_error"),
        _ => new ApiException(500, "internal server error", "server_error"),
    };
}
