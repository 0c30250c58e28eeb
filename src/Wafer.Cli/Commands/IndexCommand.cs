using System.CommandLine;
using Spectre.Console;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Tokenization;
using Wafer.Rag.Store;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer index add|rm|ls|search</c>: a knowledge base in one SQLite file (see <see cref="KnowledgeBase"/>).</summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var command = new Command("index", "A knowledge base in one SQLite file: ingest .txt/.md/.html/.pdf, list, remove, search (BM25 + vectors, fused)");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Search());
        return command;
    }

    private static Option<string> Db() => new("--db") { Description = "The knowledge base file (created by add)", Required = true };

    private static Option<string> EmbedModel() => new("--embed-model") { Description = "A BERT-family GGUF (file or model name) that embeds the chunks and queries", Required = true };

    private static Command Add()
    {
        var db = Db();
        var model = EmbedModel();
        var paths = new Argument<string[]>("PATH") { Description = "Files or folders (recursively: .txt, .md, .html, .pdf)", Arity = ArgumentArity.OneOrMore };
        var chunk = new Option<int>("--chunk-tokens") { Description = "Token budget of a chunk", DefaultValueFactory = _ => 256 };
        var threads = CommonOptions.Threads();
        var command = new Command("add", "Ingest files; unchanged files are skipped, changed ones replaced") { db, model, paths, chunk, threads };
        command.SetAction(r =>
        {
            using var kb = OpenWithModel(r.GetValue(db)!, r.GetValue(model)!, r.GetValue(threads), r.GetValue(chunk), out var owned);
            using var _ = owned;
            IngestReport report = null!;
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask("ingesting", maxValue: 1);
                report = kb.AddAsync(r.GetValue(paths)!, new Progress<(int Done, int Count)>(p =>
                {
                    task.MaxValue = Math.Max(1, p.Count);
                    task.Value = p.Done;
                })).GetAwaiter().GetResult();
                task.Value = task.MaxValue;
                if (kb.ChunkCount >= kb.GraphThreshold)
                {
                    var indexing = ctx.AddTask("vector index", maxValue: 1);
                    kb.Vectors(new Progress<(int Done, int Count)>(p =>
                    {
                        indexing.MaxValue = Math.Max(1, p.Count);
                        indexing.Value = p.Done;
                    }));
                    indexing.Value = indexing.MaxValue;
                }
            });
            AnsiConsole.MarkupLine(Markup.Escape($"{report.Added} added, {report.Replaced} replaced, {report.Unchanged} unchanged; {report.ChunksEmbedded} chunks embedded; {kb.ChunkCount} chunks in all"));
            foreach (var skipped in report.Skipped) AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(skipped)}");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var db = Db();
        var path = new Argument<string>("PATH") { Description = "A file, or a folder: every document under it" };
        var command = new Command("rm", "Remove documents") { db, path };
        command.SetAction(r =>
        {
            using var kb = KnowledgeBase.OpenExisting(r.GetValue(db)!);
            int removed = kb.Remove(r.GetValue(path)!);
            if (removed == 0) throw new ArgumentException($"no document at or under '{r.GetValue(path)}'; see wafer index ls --db {r.GetValue(db)}");
            Console.WriteLine($"{removed} document(s) removed");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var db = Db();
        var command = new Command("ls", "List the documents") { db };
        command.SetAction(r =>
        {
            using var kb = KnowledgeBase.OpenExisting(r.GetValue(db)!);
            var table = new Table().AddColumns("path", "title", "chunks", "bytes");
            foreach (var d in kb.List()) table.AddRow(Markup.Escape(d.Path), Markup.Escape(d.Title), $"{d.Chunks}", $"{d.Bytes:N0}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(Markup.Escape($"embedding model: {kb.EmbeddingModel}; {kb.ChunkCount} chunks"));
            return 0;
        });
        return command;
    }

    private static Command Search()
    {
        var db = Db();
        var model = EmbedModel();
        var query = new Argument<string>("QUERY") { Description = "What to look for" };
        var k = new Option<int>("-k") { Description = "Chunks to return", DefaultValueFactory = _ => 10 };
        var filter = new Option<string?>("--filter") { Description = "Only documents at or under this path" };
        var json = new Option<bool>("--json") { Description = "Print the hits as JSON lines instead of a table" };
        var threads = CommonOptions.Threads();
        var command = new Command("search", "Search: BM25 and vector search fused by reciprocal rank") { db, model, query, k, filter, json, threads };
        command.SetAction(r =>
        {
            if (!File.Exists(r.GetValue(db)!)) throw new FileNotFoundException($"knowledge base '{r.GetValue(db)}' does not exist; create it with wafer index add");
            using var kb = OpenWithModel(r.GetValue(db)!, r.GetValue(model)!, r.GetValue(threads), 256, out var owned);
            using var _ = owned;
            if (r.GetValue(k) < 1) throw new ArgumentException($"-k must be at least 1, got {r.GetValue(k)}");
            var hits = kb.SearchAsync(r.GetValue(query)!, r.GetValue(k), r.GetValue(filter)).GetAwaiter().GetResult();
            if (r.GetValue(json))
            {
                foreach (var h in hits) Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(h));
                return 0;
            }
            var table = new Table().AddColumns("#", "source", "span", "bm25", "cosine", "fused", "text");
            int rank = 1;
            foreach (var h in hits)
                table.AddRow($"{rank++}", Markup.Escape($"{Path.GetFileName(h.Path)}{(h.Heading != null ? " › " + h.Heading : "")}"), $"{h.Start}–{h.End}{(h.Page > 0 ? $" p{h.Page}" : "")}",
                    h.Bm25 is double b ? $"{b:F2}" : "–", h.Similarity is double s ? $"{s:F3}" : "–", $"{h.Fused:F4}", Markup.Escape(h.Text.Length > 80 ? h.Text[..80] + "…" : h.Text));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    /// <summary>The knowledge base with its embedding model loaded; <paramref name="owned"/> frees the model and its pool.</summary>
    internal static KnowledgeBase OpenWithModel(string db, string modelPath, int threads, int chunkTokens, out IDisposable owned)
    {
        if (!File.Exists(modelPath)) modelPath = ModelNames.Resolve(modelPath, "--embed-model");
        var pool = new WorkerPool(threads);
        BertModel? model = null;
        try
        {
            model = BertModel.Load(modelPath, pool);
            var tokenizer = Tokenizer.FromMetadata(model.File.Metadata, Path.GetFileName(modelPath));
            string name = Path.GetFileNameWithoutExtension(modelPath);
            var embedder = Wafer.Engine.Chat.WaferEmbeddingGenerator.Direct(model, tokenizer, name);
            var kb = KnowledgeBase.Open(db, embedder, name, model.EmbeddingLength, embedder.CountTokens, chunkTokens);
            owned = new Owned(model, pool);
            return kb;
        }
        catch
        {
            model?.Dispose();
            pool.Dispose();
            throw;
        }
    }

    private sealed class Owned(BertModel model, WorkerPool pool) : IDisposable
    {
        public void Dispose()
        {
            model.Dispose();
            pool.Dispose();
        }
    }
}
