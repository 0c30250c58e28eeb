using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Server.Api;

namespace Wafer.Server.Endpoints;

/// <summary><c>POST /v1/retrieve</c>: <c>{"query": "…", "k": 10, "filter": {"path_prefix": "…"}}</c> → the ranked chunks of the
/// served knowledge base (<c>--kb</c>) with their text, source, span and the BM25, vector and fused scores.</summary>
internal static class RetrievalEndpoints
{
    public static async Task RetrieveAsync(HttpContext http, ServerContext server)
    {
        server.RequireReady();
        var retrieval = server.Retrieval ?? throw new ApiException(404, "this server has no knowledge base; start it with --kb kb.sqlite --embed-model E.gguf", code: "not_found");
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
        foreach (var property in root.EnumerateObject())
            if (property.Name is not ("query" or "k" or "filter" or "model"))
                throw ApiException.BadParameter(property.Name, $"'{property.Name}' is not a field of /v1/retrieve (query, k, filter)");
        string query = JsonFields.String(root, "query") is { } q && q.Trim().Length > 0 ? q
            : throw ApiException.BadParameter("query", "'query' is required: the text to search for");
        int k = (int)(JsonFields.Integer(root, "k", 1, 100) ?? 10);
        string? prefix = RetrievalSpec.ReadPathPrefix(root, "filter", "filter");
        var hits = await retrieval.SearchAsync(query, k, prefix, http.RequestAborted).ConfigureAwait(false);
        await GenerationEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var h in hits)
            {
                w.WriteStartObject();
                w.WriteNumber("chunk_id", h.ChunkId);
                w.WriteString("text", h.Text);
                if (h.Heading != null) w.WriteString("heading", h.Heading);
                else w.WriteNull("heading");
                w.WriteStartObject("source");
                w.WriteString("path", h.Path);
                w.WriteString("title", h.Title);
                w.WriteEndObject();
                Grounding.WriteSpan(w, h);
                w.WriteStartObject("scores");
                if (h.Bm25 is double b) w.WriteNumber("bm25", b);
                else w.WriteNull("bm25");
                if (h.Similarity is double s) w.WriteNumber("vector", s);
                else w.WriteNull("vector");
                w.WriteNumber("fused", h.Fused);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
