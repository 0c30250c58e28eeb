using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using Wafer.Server.Api;

namespace Wafer.Server.Endpoints;

/// <summary>The MCP tool <c>search_knowledge_base</c> (<c>wafer serve --kb … --mcp</c>, Streamable HTTP at <c>/mcp</c>): the
/// same hybrid search as <c>POST /v1/retrieve</c>, so agent hosts can search the served knowledge base.</summary>
internal static class KnowledgeBaseMcpTool
{
    public const string Name = "search_knowledge_base";

    /// <summary>One chunk found, as the tool answers it (JSON).</summary>
    public sealed record Hit(int Rank, string Text, string? Heading, string Path, string Title, int Start, int End, int? Page, double? Bm25, double? Vector, double Fused);

    /// <summary>The tool over the knowledge base that <paramref name="context"/> returns once the model has loaded.</summary>
    public static McpServerTool Create(Func<ServerContext> context) => McpServerTool.Create(
        async ([Description("What to search for: a question or keywords")] string query,
               [Description("How many chunks to return, 1 to 20")] int k = 5,
               [Description("Only documents whose path is this one or lies under it")] string? path_prefix = null,
               CancellationToken cancellationToken = default) =>
        {
            var retrieval = context().Retrieval ?? throw new McpException("the knowledge base is not loaded yet (the server is still loading its models); try again shortly");
            if (string.IsNullOrWhiteSpace(query)) throw new McpException("'query' must not be empty");
            if (k is < 1 or > RetrievalSpec.MaxK) throw new McpException($"'k' must be between 1 and {RetrievalSpec.MaxK}, got {k}");
            var hits = await retrieval.SearchAsync(query, k, string.IsNullOrEmpty(path_prefix) ? null : path_prefix, cancellationToken).ConfigureAwait(false);
            return hits.Select((h, i) => new Hit(i + 1, h.Text, h.Heading, h.Path, h.Title, h.Start, h.End, h.Page > 0 ? h.Page : null, h.Bm25, h.Similarity, h.Fused)).ToList();
        },
        new McpServerToolCreateOptions
        {
            Name = Name,
            Title = "Search the knowledge base",
            Description = "Searches the documents this server was given (BM25 and embeddings, fused by reciprocal rank) and returns the best chunks with their source path, title, character span and scores.",
            ReadOnly = true,
            Idempotent = true,
            OpenWorld = false,
        });
}
