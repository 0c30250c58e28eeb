using System.Text.Json;
using Wafer.Server.Hosting;

namespace Wafer.Server.Api;

/// <summary>What a request asks of the knowledge base: how many chunks, under which path, for which query (null: the last
/// user message's text).</summary>
internal sealed record RetrievalSpec(int K, string? PathPrefix, string? Query)
{
    public const int DefaultK = 4;
    public const int MaxK = 20;

    /// <summary>The chat-completions extension field <c>retrieval: {k, filter: {path_prefix}, query, vector_store_ids}</c>;
    /// null when the body has none.</summary>
    public static RetrievalSpec? Parse(JsonElement body, Retrieval? retrieval)
    {
        if (!body.TryGetProperty("retrieval", out var field) || field.ValueKind == JsonValueKind.Null) return null;
        if (field.ValueKind != JsonValueKind.Object)
            throw ApiException.BadParameter("retrieval", "'retrieval' must be an object such as {\"k\": 4, \"filter\": {\"path_prefix\": \"/docs/\"}}");
        if (retrieval == null)
            throw ApiException.BadParameter("retrieval", "this server has no knowledge base; start it with --kb kb.sqlite --embed-model E.gguf (build one with wafer index add)");
        foreach (var property in field.EnumerateObject())
            if (property.Name is not ("k" or "filter" or "query" or "vector_store_ids"))
                throw ApiException.BadParameter($"retrieval.{property.Name}", $"'retrieval.{property.Name}' is not supported (k, filter, query, vector_store_ids)");
        int k;
        string? query;
        try
        {
            k = (int)(JsonFields.Integer(field, "k", 1, MaxK) ?? DefaultK);
            query = JsonFields.String(field, "query");
        }
        catch (ApiException e)
        {
            throw e.Renamed([("k", "retrieval.k"), ("query", "retrieval.query")]);
        }
        if (query != null && query.Trim().Length == 0) throw ApiException.BadParameter("retrieval.query", "'retrieval.query' must not be empty");
        if (field.TryGetProperty("vector_store_ids", out var ids) && ids.ValueKind != JsonValueKind.Null)
        {
            if (ids.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter("retrieval.vector_store_ids", "'retrieval.vector_store_ids' must be an array of strings");
            foreach (var id in ids.EnumerateArray())
                if (id.ValueKind != JsonValueKind.String || id.GetString() != retrieval.Id)
                    throw ApiException.BadParameter("retrieval.vector_store_ids", $"unknown vector store {id.GetRawText()}; this server has one knowledge base, '{retrieval.Id}'");
        }
        return new RetrievalSpec(k, ReadPathPrefix(field), query);
    }

    /// <summary><c>filter: {"path_prefix": "…"}</c> of <paramref name="owner"/>, or null.</summary>
    public static string? ReadPathPrefix(JsonElement owner, string name = "filter", string where = "retrieval.filter")
    {
        if (!owner.TryGetProperty(name, out var filter) || filter.ValueKind == JsonValueKind.Null) return null;
        if (filter.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter(where, $"'{where}' must be an object such as {{\"path_prefix\": \"/docs/\"}}");
        foreach (var property in filter.EnumerateObject())
            if (property.Name != "path_prefix") throw ApiException.BadParameter($"{where}.{property.Name}", $"'{where}.{property.Name}' is not supported (path_prefix)");
        if (!filter.TryGetProperty("path_prefix", out var p) || p.ValueKind == JsonValueKind.Null) return null;
        return p.ValueKind == JsonValueKind.String && p.GetString()!.Length > 0 ? p.GetString()
            : throw ApiException.BadParameter($"{where}.path_prefix", $"'{where}.path_prefix' must be a non-empty string");
    }
}
