using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Server.Api;
using Wafer.Server.Hosting;

namespace Wafer.Server.Endpoints;

/// <summary>GET /health, GET /v1/models, POST /tokenize, POST /detokenize.</summary>
internal static class InfoEndpoints
{
    /// <summary>200 once the models loaded at start are loaded (models loaded on demand do not count); 503 "loading" or "error" before.</summary>
    public static async Task HealthAsync(HttpContext http, ServerContext server)
    {
        var preloaded = server.Models.Preloaded;
        bool ready = preloaded.IsCompletedSuccessfully;
        http.Response.StatusCode = ready ? 200 : 503;
        await GenerationEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", ready ? "ok" : preloaded.IsFaulted ? "error" : "loading");
            if (preloaded.IsFaulted) w.WriteString("error", preloaded.Exception!.InnerException!.Message);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>Every served model with its <c>state</c> (unloaded, loading, loaded, failed); a loaded one with its context,
    /// vocabulary and memory, an idle one with when it unloads; a loaded embedding model (<c>--embed-model</c>) after its model.</summary>
    public static async Task ModelsAsync(HttpContext http, ServerContext server)
    {
        var models = server.Models.Status();
        await GenerationEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var status in models)
            {
                var model = status.Instance?.Model;
                w.WriteStartObject();
                w.WriteString("id", status.Spec.Name);
                w.WriteString("object", "model");
                w.WriteNumber("created", new DateTimeOffset(File.GetLastWriteTimeUtc(status.Spec.Path)).ToUnixTimeSeconds());
                w.WriteString("owned_by", "wafer");
                w.WriteString("state", status.State.ToString().ToLowerInvariant());
                if (status.Error != null) w.WriteString("error", status.Error);
                if (status.ExpiresAt is { } expires) w.WriteNumber("expires_at", expires.ToUnixTimeSeconds());
                w.WriteStartObject("meta");
                w.WriteString("path", status.Spec.Path);
                w.WriteNumber("requests_in_flight", status.InFlight);
                if (model != null)
                {
                    w.WriteNumber("n_ctx", model.Engine.ContextLength);
                    w.WriteNumber("n_vocab", model.Tokenizer.VocabularySize);
                    w.WriteNumber("size", model.Model.File.FileBytes);
                    w.WriteNumber("memory_bytes", status.MemoryBytes);
                }
                w.WriteEndObject();
                w.WriteEndObject();
                if (model?.Encoder is { } encoder)
                {
                    w.WriteStartObject();
                    w.WriteString("id", encoder.Name);
                    w.WriteString("object", "model");
                    w.WriteNumber("created", new DateTimeOffset(File.GetLastWriteTimeUtc(encoder.Model.File.Path)).ToUnixTimeSeconds());
                    w.WriteString("owned_by", "wafer");
                    w.WriteString("state", "loaded");
                    w.WriteStartObject("meta");
                    w.WriteNumber("n_ctx", encoder.Model.ContextLength);
                    w.WriteNumber("n_vocab", encoder.Model.VocabSize);
                    w.WriteNumber("n_embd", encoder.Model.EmbeddingLength);
                    w.WriteNumber("size", encoder.Model.File.FileBytes);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public static async Task TokenizeAsync(HttpContext http, ServerContext server)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
        string content = JsonFields.String(root, "content") ?? throw ApiException.BadParameter("content", "'content' is required");
        bool addSpecial = JsonFields.Bool(root, "add_special") ?? false;
        bool parseSpecial = JsonFields.Bool(root, "parse_special") ?? true;
        IReadOnlyList<int> ids;
        try
        {
            ids = model.Tokenizer.Encode(content, addSpecial, parseSpecial);
        }
        catch (Models.Tokenization.UntokenizableTextException e)
        {
            throw ApiException.BadParameter("content", e.Message);
        }
        await GenerationEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("tokens");
            foreach (int id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public static async Task DetokenizeAsync(HttpContext http, ServerContext server)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
            throw ApiException.BadParameter("tokens", "'tokens' must be an array of token ids");
        var ids = new List<int>();
        foreach (var t in tokens.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int id) || id < 0 || id >= model.Tokenizer.VocabularySize)
                throw ApiException.BadParameter("tokens", $"'tokens' must hold ids in 0…{model.Tokenizer.VocabularySize - 1}");
            ids.Add(id);
        }
        string text = model.Tokenizer.Decode(ids);
        await GenerationEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("content", text);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
