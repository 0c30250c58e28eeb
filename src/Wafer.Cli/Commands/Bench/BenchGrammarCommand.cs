using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using Wafer.Models.Constraints;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench grammar</c>: what constrained decoding costs per token, on real vocabularies.</summary>
/// <remarks>
/// Step 1: per vocabulary (a GGUF's tokenizer), build its token trie (timed once).
/// Step 2: generate JSON documents of the schema by a seeded random walk: each step computes the mask and applies it to a
/// logits row of the vocabulary (timed), picks a random allowed token, and advances (timed). The first document meets every
/// grammar state for the first time (cold); <c>--warmup</c> more documents fill the mask cache as a server's first requests
/// with a schema do (not measured); then <c>--documents</c> documents are measured (warm), counting the masks they still had
/// to compute (states no earlier document reached).
/// Step 3: print cold and warm means, p50 and p99 per token, and write JSON.
/// </remarks>
internal static class BenchGrammarCommand
{
    /// <summary>Nested objects, an array, bounded strings: the shape of a typical extraction schema.</summary>
    internal const string DefaultSchema = """
        {"type": "object", "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "maxLength": 24},
            "address": {"type": "object", "properties": {
                "street": {"type": "string", "maxLength": 24}, "city": {"type": "string", "maxLength": 16},
                "zip": {"type": "string", "maxLength": 8}}, "required": ["street", "city"]},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 4},
            "active": {"type": "boolean"}},
         "required": ["id", "name", "address", "tags", "active"], "additionalProperties": false}
        """;

    public static Command Create()
    {
        var files = new Argument<string[]>("GGUF") { Description = "Models or vocabulary files whose tokenizers to measure (default: the Qwen2 and StarCoder fixture vocabularies)", Arity = ArgumentArity.ZeroOrMore };
        var fixtures = new Option<string>("--fixtures") { Description = "Folder with vocab/ (for the defaults)", DefaultValueFactory = _ => "../shared" };
        var schema = new Option<string?>("--schema") { Description = "A JSON schema file (default: a nested extraction schema)" };
        var documents = new Option<int>("--documents") { Description = "Documents measured warm per vocabulary", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Documents generated after the cold one and before the measured ones (filling the mask cache)", DefaultValueFactory = _ => 50 };
        var json = new Option<string?>("--json") { Description = "Also write the results to this JSON file" };
        var command = new Command("grammar", "Per-token cost of constrained decoding (mask and advance, µs) for a JSON schema on real vocabularies") { files, fixtures, schema, documents, warmup, json };
        command.SetAction(r => Run(r.GetValue(files) ?? [], r.GetValue(fixtures)!, r.GetValue(schema), r.GetValue(documents), r.GetValue(warmup), r.GetValue(json)));
        return command;
    }

    private static int Run(string[] files, string fixtures, string? schemaPath, int documents, int warmup, string? jsonPath)
    {
        if (documents < 1) throw new ArgumentException($"--documents must be at least 1, got {documents}");
        if (warmup < 0) throw new ArgumentException($"--warmup must be 0 or more, got {warmup}");
        if (files.Length == 0)
            files = [Path.Combine(fixtures, "vocab/ggml-vocab-qwen2.gguf"), Path.Combine(fixtures, "vocab/ggml-vocab-starcoder.gguf")];
        foreach (var f in files)
            if (!File.Exists(f)) throw new FileNotFoundException($"'{f}' does not exist; pass GGUF files, or --fixtures PATH for the default vocabularies");
        string schemaText = schemaPath == null ? DefaultSchema : File.ReadAllText(schemaPath);
        using var schemaDoc = JsonDocument.Parse(schemaText);
        string gbnf = JsonSchemaGrammar.ToGbnf(schemaDoc.RootElement);

        var results = new List<object>();
        var table = new Table().AddColumns("vocabulary", "tokens", "trie ms", "tokens generated", "states", "masks (warm misses)", "cold mean µs", "warm mean µs", "warm p50 µs", "warm p99 µs", "advance µs");
        foreach (var file in files)
        {
            using var gguf = GgufFile.Open(file);
            var tokenizer = Tokenizer.FromMetadata(gguf.Metadata, Path.GetFileName(file));
            long t0 = Stopwatch.GetTimestamp();
            var trie = TokenTrie.For(tokenizer);
            double trieMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            var fresh = Grammar.Parse(gbnf + $"\n# {Path.GetFileName(file)}\n"); // its own state cache per vocabulary (the comment makes the text unique)
            var logits = new float[tokenizer.VocabularySize];
            var random = new Random(7);
            var cold = new List<double>();
            var warm = new List<double>();
            var advance = new List<double>();
            long missesBefore = 0;
            for (int d = 0; d < 1 + warmup + documents; d++)
            {
                if (d == 1 + warmup) missesBefore = fresh.MasksComputed;
                var matcher = fresh.CreateMatcher(trie);
                for (int step = 0; step < 400 && !matcher.IsDone; step++)
                {
                    long start = Stopwatch.GetTimestamp();
                    matcher.Apply(logits);
                    double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    if (d == 0) cold.Add(us);
                    else if (d > warmup) warm.Add(us);
                    int token = Pick(matcher.AllowedTokens(), trie, random, matcher.CanEnd);
                    Array.Fill(logits, 0f);
                    if (token < 0) break;
                    start = Stopwatch.GetTimestamp();
                    matcher.Accept(token);
                    advance.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    if (trie.IsEnd(token)) break;
                }
            }
            warm.Sort();
            var row = new
            {
                vocabulary = Path.GetFileNameWithoutExtension(file).Replace("ggml-vocab-", ""),
                tokens = tokenizer.VocabularySize,
                trie_ms = trieMs,
                generated_cold = cold.Count,
                generated_warm = warm.Count,
                states = fresh.StateCount,
                masks = fresh.MasksComputed,
                warm_misses = fresh.MasksComputed - missesBefore,
                cold_mean_us = cold.Average(),
                warm_mean_us = warm.Average(),
                warm_p50_us = warm[warm.Count / 2],
                warm_p99_us = warm[Math.Min(warm.Count - 1, (int)(warm.Count * 0.99))],
                advance_mean_us = advance.Average(),
            };
            results.Add(row);
            table.AddRow(row.vocabulary, $"{row.tokens:N0}", $"{row.trie_ms:F0}", $"{row.generated_cold} + {row.generated_warm}", $"{row.states}", $"{row.masks} ({row.warm_misses})", $"{row.cold_mean_us:F0}",
                $"{row.warm_mean_us:F1}", $"{row.warm_p50_us:F1}", $"{row.warm_p99_us:F1}", $"{row.advance_mean_us:F2}");
        }
        AnsiConsole.Write(table);
        if (jsonPath != null)
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(new { command = "wafer bench grammar", date = DateTime.UtcNow, schema = schemaText, warmup, documents, results },
                new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    // A random allowed token; end-of-generation once the document may end (so documents stay short).
    private static int Pick(ReadOnlySpan<ulong> mask, TokenTrie trie, Random random, bool canEnd)
    {
        if (canEnd && random.Next(2) == 0 && trie.EndTokens.Count > 0) return trie.EndTokens[0];
        int count = 0;
        foreach (ulong w in mask) count += System.Numerics.BitOperations.PopCount(w);
        if (count == 0) return -1;
        int k = random.Next(count);
        for (int w = 0; w < mask.Length; w++)
        {
            int c = System.Numerics.BitOperations.PopCount(mask[w]);
            if (k >= c) { k -= c; continue; }
            ulong bits = mask[w];
            for (; k > 0; k--) bits &= bits - 1;
            return (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
        }
        return -1;
    }
}
