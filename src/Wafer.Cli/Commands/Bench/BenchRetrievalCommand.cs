using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Spectre.Console;
using Wafer.Bench;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench retrieval</c>: recall and latency of the approximate vector index against the exact scan on seeded
/// random unit vectors (<see cref="RetrievalBenchmark"/>); with <c>--corpus</c>, ingest throughput and keyword (BM25) and
/// hybrid query latency on a real corpus.</summary>
internal static class BenchRetrievalCommand
{
    public static Command Create()
    {
        var sizes = new Option<string>("--sizes") { Description = "Collection sizes, comma-separated", DefaultValueFactory = _ => "10000,100000,1000000" };
        var dimensions = new Option<int>("--dims") { Description = "Vector width", DefaultValueFactory = _ => 384 };
        var queries = new Option<int>("--queries") { Description = "Queries per size", DefaultValueFactory = _ => 1000 };
        var k = new Option<int>("-k") { Description = "Neighbours per query (recall@k)", DefaultValueFactory = _ => 10 };
        var efs = new Option<string>("--ef") { Description = "Search widths, comma-separated", DefaultValueFactory = _ => "32,64,128,256" };
        var scan = new Option<string>("--scan-candidates") { Description = "Candidates the 8-bit scan reranks, comma-separated (empty: no scan rows)", DefaultValueFactory = _ => "100,200" };
        var m = new Option<int>("--m") { Description = "Links per row (2·M on layer 0)", DefaultValueFactory = _ => 32 };
        var efConstruction = new Option<int>("--ef-construction") { Description = "Candidates while building", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Seed of the vectors (the queries use another)", DefaultValueFactory = _ => 1 };
        var data = new Option<string>("--data") { Description = "uniform (random unit vectors, the hard case) or clustered (topics and subtopics, as real embeddings have)", DefaultValueFactory = _ => "uniform" };
        data.AcceptOnlyFromAmong("uniform", "clustered");
        var corpus = new Option<string?>("--corpus") { Description = "A folder of .txt/.md/.html/.pdf files: also measure ingest and keyword/hybrid search on it" };
        var embed = new Option<string?>("--embed-model") { Description = "The BERT-family GGUF for --corpus" };
        var export = new Option<string?>("--export-chunks") { Description = "With --corpus: also write the chunk texts, one per line, to this file (for llama-embedding -f)" };
        var threads = CommonOptions.Threads();
        var json = new Option<string?>("--json") { Description = "Also write the results to this JSON file" };
        var command = new Command("retrieval", "Vector index recall@k and latency against the exact scan (random unit vectors); ingest and BM25 speed on a corpus")
        {
            sizes, dimensions, queries, k, efs, scan, m, efConstruction, seed, data, corpus, embed, export, threads, json,
        };
        command.SetAction(r => Run(Integers(r.GetValue(sizes)!, "--sizes"), r.GetValue(dimensions), r.GetValue(queries), r.GetValue(k), Integers(r.GetValue(efs)!, "--ef"),
            r.GetValue(scan)!.Length == 0 ? [] : Integers(r.GetValue(scan)!, "--scan-candidates"), r.GetValue(m), r.GetValue(efConstruction), r.GetValue(seed), r.GetValue(data)!, r.GetValue(corpus), r.GetValue(embed), r.GetValue(export), r.GetValue(threads), r.GetValue(json)));
        return command;
    }

    private static List<int> Integers(string text, string option)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
                : throw new ArgumentException($"{option} '{text}': expected positive integers separated by commas, such as 10000,100000"));
        return list.Count > 0 ? list : throw new ArgumentException($"{option}: give at least one value");
    }

    private static int Run(List<int> sizes, int dimensions, int queryCount, int k, List<int> efs, List<int> scanCandidates, int m, int efConstruction, int seed, string data,
        string? corpus, string? embed, string? export, int threads, string? jsonPath)
    {
        if (dimensions < 1 || queryCount < 1 || k < 1) throw new ArgumentException("--dims, --queries and -k must be at least 1");
        if (corpus != null && embed == null) throw new ArgumentException("--corpus needs --embed-model E.gguf (the model that embeds its chunks)");
        if (corpus != null && !Directory.Exists(corpus)) throw new DirectoryNotFoundException($"--corpus '{corpus}' is not a folder");
        int buildThreads = threads > 0 ? threads : Environment.ProcessorCount;
        List<RetrievalBenchmark.Build> builds = [];
        List<RetrievalBenchmark.Row> rows = [];
        AnsiConsole.Status().Start("drawing vectors", ctx =>
        {
            (builds, rows) = RetrievalBenchmark.Run(sizes, dimensions, queryCount, k, efs, scanCandidates, m, efConstruction, buildThreads, seed, data == "clustered", s => ctx.Status(Markup.Escape(s)));
        });
        var buildTable = new Table().AddColumns("vectors", "dims", $"build s ({buildThreads} threads)", "code B/vector", "graph B/vector", "float B/vector", "exact p50 ms", "exact p99 ms");
        foreach (var b in builds)
            buildTable.AddRow($"{b.Vectors:N0}", $"{b.Dimensions}", F(b.BuildSeconds, 1), F(b.CodeBytesPerVector, 0), F(b.GraphBytesPerVector, 0), F(b.FloatBytesPerVector, 0), F(b.ExactP50Ms, 2), F(b.ExactP99Ms, 2));
        AnsiConsole.Write(buildTable);
        var table = new Table().AddColumns("vectors", "method", "ef / candidates", $"recall@{k}", "p50 ms", "p99 ms", "mean ms");
        foreach (var row in rows) table.AddRow($"{row.Vectors:N0}", row.Method, $"{row.Width}", F(row.RecallAtK, 3), F(row.P50Ms, 3), F(row.P99Ms, 3), F(row.MeanMs, 3));
        AnsiConsole.Write(table);

        object? corpusResult = corpus != null ? Corpus(corpus, embed!, export, threads, seed) : null;
        if (jsonPath != null)
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(new
            {
                command = "wafer bench retrieval",
                date = DateTime.UtcNow,
                machine = Environment.MachineName,
                processors = Environment.ProcessorCount,
                data, dimensions, queries = queryCount, k, m, ef_construction = efConstruction, build_threads = buildThreads, seed,
                builds, rows, corpus = corpusResult,
            }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        return 0;
    }

    // Ingest the corpus into a fresh knowledge base (chunks/s), embed its chunk texts again on their own (the embedding's
    // share: each chunk's text on one line, as llama-embedding -f reads them), then 500 keyword queries of three words drawn
    // from its chunks (every fifth also through the hybrid search).
    private static object Corpus(string corpus, string embed, string? export, int threads, int seed)
    {
        string dir = Directory.CreateTempSubdirectory("wafer-bench-retrieval-").FullName;
        try
        {
            using var kb = IndexCommand.OpenWithModel(Path.Combine(dir, "kb.sqlite"), embed, threads, 256, out var owned);
            using var _ = owned;
            var start = Stopwatch.GetTimestamp();
            var report = AnsiConsole.Status().Start("ingesting", ctx => kb.AddAsync([corpus], new Progress<(int Done, int Count)>(p => ctx.Status($"ingesting: {p.Done}/{p.Count} files"))).GetAwaiter().GetResult());
            double ingestSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var lines = kb.ChunkTexts(int.MaxValue).Select(t => Regex.Replace(t, @"\s+", " ").Trim()).Where(t => t.Length > 0).ToList();
            if (export != null) File.WriteAllLines(export, lines);
            var embedder = (Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>)kb.GetService(typeof(Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>))!;
            start = Stopwatch.GetTimestamp();
            var embedded = AnsiConsole.Status().Start("embedding the chunks again", _ => embedder.GenerateAsync(lines).GetAwaiter().GetResult());
            double embedSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var words = new List<string>();
            foreach (string text in kb.ChunkTexts(2000))
                foreach (Match w in Regex.Matches(text, @"\p{L}{4,}")) words.Add(w.Value);
            var random = new Random(seed);
            var keyword = new List<double>();
            var hybrid = new List<double>();
            for (int q = 0; q < 500 && words.Count > 0; q++)
            {
                string query = $"{words[random.Next(words.Count)]} {words[random.Next(words.Count)]} {words[random.Next(words.Count)]}";
                long t = Stopwatch.GetTimestamp();
                kb.KeywordSearch(query, 10);
                keyword.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (q % 5 == 0)
                {
                    t = Stopwatch.GetTimestamp();
                    kb.SearchAsync(query, 10).GetAwaiter().GetResult();
                    hybrid.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }
            keyword.Sort();
            hybrid.Sort();
            var result = new
            {
                corpus = Path.GetFullPath(corpus),
                embed_model = Path.GetFileName(embed),
                files = report.Added,
                skipped = report.Skipped.Count,
                chunks = report.ChunksEmbedded,
                ingest_seconds = ingestSeconds,
                chunks_per_second = report.ChunksEmbedded / ingestSeconds,
                embed_lines = lines.Count,
                embed_tokens = embedded.Usage?.InputTokenCount,
                embed_seconds = embedSeconds,
                embed_lines_per_second = lines.Count / embedSeconds,
                bm25_queries = keyword.Count,
                bm25_p50_ms = keyword.Count > 0 ? Percentile(keyword, 50) : 0,
                bm25_p99_ms = keyword.Count > 0 ? Percentile(keyword, 99) : 0,
                hybrid_queries = hybrid.Count,
                hybrid_p50_ms = hybrid.Count > 0 ? Percentile(hybrid, 50) : 0,
                hybrid_p99_ms = hybrid.Count > 0 ? Percentile(hybrid, 99) : 0,
            };
            var table = new Table().AddColumns("corpus", "files", "chunks", "ingest chunks/s", "embed-only chunks/s", "BM25 p50 ms", "BM25 p99 ms", "hybrid p50 ms", "hybrid p99 ms");
            table.AddRow(Markup.Escape(result.corpus), $"{result.files}", $"{result.chunks}", F(result.chunks_per_second, 1), F(result.embed_lines_per_second, 1), F(result.bm25_p50_ms, 3), F(result.bm25_p99_ms, 3),
                F(result.hybrid_p50_ms, 2), F(result.hybrid_p99_ms, 2));
            AnsiConsole.Write(table);
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Percentile(List<double> sorted, double percent) => Wafer.Bench.Percentile.OfSorted(sorted.ToArray(), percent);

    private static string F(double value, int digits) => value.ToString("F" + digits, CultureInfo.InvariantCulture);
}
