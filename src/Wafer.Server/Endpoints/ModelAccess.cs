using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Server.Api;
using Wafer.Server.Hosting;

namespace Wafer.Server.Endpoints;

/// <summary>The model a request body names (<c>model</c>), loaded and held for the request, and how long it stays loaded
/// afterwards (<c>keep_alive</c>, as Ollama accepts it: seconds, or a duration such as "5m"; 0 unloads it after this request,
/// a negative value keeps it).</summary>
internal static class ModelAccess
{
    /// <summary>HttpContext item holding the served model's name, for the <c>model</c> tag of <c>wafer_requests_total</c>.</summary>
    public const string ModelItem = "wafer.model";

    public static async Task<ModelRegistry<ServedModel>.Lease> AcquireAsync(HttpContext http, ServerContext server, JsonElement body)
    {
        bool isObject = body.ValueKind == JsonValueKind.Object;
        string? name = isObject ? JsonFields.String(body, "model") : null;
        TimeSpan? keepAlive = isObject ? KeepAlive(body) : null;
        var lease = await server.Models.AcquireAsync(name, keepAlive, http.RequestAborted).ConfigureAwait(false);
        http.Items[ModelItem] = lease.Name;
        return lease;
    }

    private static TimeSpan? KeepAlive(JsonElement body)
    {
        if (!body.TryGetProperty("keep_alive", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        TimeSpan? parsed = v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetDouble(out double seconds) => KeepAliveDuration.FromSeconds(seconds),
            JsonValueKind.String => KeepAliveDuration.TryParse(v.GetString()!),
            _ => null,
        };
        return parsed ?? throw ApiException.BadParameter("keep_alive", "'keep_alive' must be seconds (a number) or a duration such as \"30s\", \"5m\" or \"1h\"; 0 unloads the model after this request, a negative value keeps it loaded");
    }
}
