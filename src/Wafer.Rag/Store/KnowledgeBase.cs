using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Wafer.Rag.Ingestion;
using Wafer.Rag.Vectors;

namespace Wafer.Rag.Store;

/// <summary>A search hit: the chunk, where it comes from, and its scores (null where that search did not find it).</summary>
public sealed record SearchHit(long ChunkId, string Path, string Title, string Text, string? Heading, int Start, int End, int Page,
    double? Bm25, double? Similarity, double Fused);

/// <summary>What an ingest did.</summary>
public sealed record IngestReport(int Added, int Replaced, int Unchanged, int ChunksEmbedded, IReadOnlyList<string> Skipped);

/// <summary>A document in the knowledge base.</summary>
public sealed record DocumentInfo(string Path, string Title, string Hash, long Bytes, int Chunks);

/// <summary>A knowledge base in one SQLite file: documents (path, title, SHA-256 of the bytes), their chunks (text, heading,
/// character span, page) with unit-length embeddings, and an FTS5 index of the chunk text.</summary>
/// <remarks>
/// Ingest: per file, step 1 hash the bytes and skip the file when its path is stored with the same hash; step 2 extract the
/// text (<see cref="DocumentText"/>) and chunk it (<see cref="Chunker"/>); step 3 embed the chunks; step 4 in one transaction
/// replace the document's rows. Search: BM25 over FTS5 (query words OR-ed), a vector search, and reciprocal rank fusion of
/// the two lists (k = 60), optionally under a source path prefix. The vectors are held in memory (<see cref="VectorSet"/>,
/// reloaded when another write bumped the <c>generation</c> in <c>meta</c>). Below <see cref="ScanThreshold"/> chunks they are
/// scanned exactly; from it, their 8-bit codes are scanned and the best <see cref="ScanCandidates"/> reranked exactly (recall@10
/// 1.000 on 100k random 384-dimensional unit vectors at about 2 ms, docs/benchmarks.md); from <see cref="GraphThreshold"/>, an
/// <see cref="HnswIndex"/> persisted beside the file (<c>kb.sqlite.hnsw</c>) is searched, sub-linear where the vectors have
/// structure, and brought up to date from the stored vectors when loaded (new chunks inserted, removed or changed ones walked
/// through but never returned; rebuilt when over a quarter of its rows are gone). A path filter scans the chunks under it exactly.
/// The embedding model's name and width are recorded at creation; another model is refused (its vectors would not compare).
/// </remarks>
public sealed class KnowledgeBase : IDisposable
{
    private const int RrfK = 60;
    private readonly SqliteConnection _db;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private readonly Func<string, int> _countTokens;

    /// <summary>Chunks from which the vector search scans 8-bit codes instead of the full vectors.</summary>
    public const int DefaultScanThreshold = 20_000;

    /// <summary>Chunks from which the vector search goes through the graph index.</summary>
    public const int DefaultGraphThreshold = 250_000;

    private VectorSet? _vectors;
    private HnswIndex? _index;
    private long _loadedGeneration = -1;

    private KnowledgeBase(SqliteConnection db, IEmbeddingGenerator<string, Embedding<float>>? embedder, Func<string, int> countTokens, int chunkTokens)
    {
        _db = db;
        IndexPath = db.DataSource + ".hnsw";
        _embedder = embedder;
        _countTokens = countTokens;
        ChunkTokens = chunkTokens;
    }

    /// <summary>Token budget of a chunk.</summary>
    public int ChunkTokens { get; }

    /// <summary>Chunks from which vector search scans the 8-bit codes and reranks (below it, an exact scan).</summary>
    public int ScanThreshold { get; set; } = DefaultScanThreshold;

    /// <summary>Candidates the 8-bit scan reranks on the full vectors.</summary>
    public int ScanCandidates { get; set; } = 200;

    /// <summary>Chunks from which vector search goes through the graph index.</summary>
    public int GraphThreshold { get; set; } = DefaultGraphThreshold;

    /// <summary>Candidates of a graph search.</summary>
    public int EfSearch { get; set; } = 256;

    /// <summary>Threads that build the approximate index.</summary>
    public int IndexThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>Where the approximate index is kept: beside the database, <c>kb.sqlite.hnsw</c>.</summary>
    public string IndexPath { get; }

    /// <summary>How vector search runs now: "exact", "sq8-scan" or "hnsw".</summary>
    public string VectorSearchKind => _index != null ? "hnsw" : _vectors != null && _vectors.LiveCount >= ScanThreshold ? "sq8-scan" : "exact";

    /// <summary>Opens an existing knowledge base to list or remove documents (no embedding model: adding and searching need one).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static KnowledgeBase OpenExisting(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"knowledge base '{path}' does not exist; create it with wafer index add --db {path} --embed-model E.gguf PATH…");
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        db.Open();
        Execute(db, "PRAGMA foreign_keys = ON;");
        if (Scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'documents'") is not long n || n == 0)
        {
            db.Dispose();
            throw new InvalidOperationException($"'{path}' is not a Wafer knowledge base");
        }
        return new KnowledgeBase(db, null, _ => 0, 0);
    }

    /// <summary>The embedding model the knowledge base was built with.</summary>
    public string EmbeddingModel => Scalar(_db, "SELECT value FROM meta WHERE key = 'embed_model'") as string ?? "";

    /// <summary>Opens (or creates) the knowledge base at <paramref name="path"/> for <paramref name="embedder"/>
    /// (<paramref name="modelName"/>, vectors of <paramref name="dimensions"/>).</summary>
    /// <exception cref="InvalidOperationException">The file was built with another embedding model.</exception>
    public static KnowledgeBase Open(string path, IEmbeddingGenerator<string, Embedding<float>> embedder, string modelName, int dimensions,
        Func<string, int> countTokens, int chunkTokens = 256)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        db.Open();
        try
        {
            Execute(db, """
                PRAGMA journal_mode = WAL;
                PRAGMA foreign_keys = ON;
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS documents(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT NOT NULL, hash TEXT NOT NULL,
                    bytes INTEGER NOT NULL, added_utc TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY AUTOINCREMENT, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    ordinal INTEGER NOT NULL, text TEXT NOT NULL, heading TEXT, start INTEGER NOT NULL, end INTEGER NOT NULL, page INTEGER NOT NULL,
                    embedding BLOB NOT NULL);
                CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
                CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(text);
                """);
            string? model = Scalar(db, "SELECT value FROM meta WHERE key = 'embed_model'") as string;
            if (model == null)
            {
                Execute(db, "INSERT INTO meta(key, value) VALUES ('embed_model', $m), ('dimensions', $d)", ("$m", modelName), ("$d", dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (model != modelName || Scalar(db, "SELECT value FROM meta WHERE key = 'dimensions'") as string != dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"'{path}' was built with the embedding model '{model}'; it cannot be searched or extended with '{modelName}' (use that model, or a new --db)");
            }
            return new KnowledgeBase(db, embedder, countTokens, chunkTokens);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Ingests files and folders (recursively, the supported extensions only); <paramref name="progress"/> gets
    /// (files done, files).</summary>
    public async Task<IngestReport> AddAsync(IEnumerable<string> paths, IProgress<(int Done, int Count)>? progress = null, CancellationToken cancellationToken = default)
    {
        var embedder = _embedder ?? throw new InvalidOperationException("adding documents needs the embedding model (--embed-model)");
        var files = new List<string>();
        var skipped = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => DocumentText.Extensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal));
            else if (File.Exists(path))
            {
                if (DocumentText.Extensions.Contains(Path.GetExtension(path))) files.Add(path);
                else skipped.Add($"{path}: {Path.GetExtension(path)} files are not ingested");
            }
            else throw new FileNotFoundException($"'{path}' does not exist");
        }
        int added = 0, replaced = 0, unchanged = 0, embedded = 0;
        for (int f = 0; f < files.Count; f++)
        {
            string full = Path.GetFullPath(files[f]);
            byte[] bytes = await File.ReadAllBytesAsync(full, cancellationToken).ConfigureAwait(false);
            string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var stored = Scalar(_db, "SELECT hash FROM documents WHERE path = $p", ("$p", full)) as string;
            if (stored == hash)
            {
                unchanged++;
                progress?.Report((f + 1, files.Count));
                continue;
            }
            DocumentText document;
            try
            {
                document = DocumentText.Read(full, bytes);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                skipped.Add($"{full}: {e.Message}");
                progress?.Report((f + 1, files.Count));
                continue;
            }
            var chunks = Chunker.Split(document.Text, ChunkTokens, _countTokens);
            var vectors = chunks.Count == 0 ? [] : (await embedder.GenerateAsync(chunks.Select(c => c.Text), cancellationToken: cancellationToken).ConfigureAwait(false)).ToList();
            embedded += chunks.Count;
            using (var transaction = _db.BeginTransaction())
            {
                if (stored != null)
                {
                    RemoveDocument(full, transaction);
                    replaced++;
                }
                else added++;
                Execute(_db, "INSERT INTO documents(path, title, hash, bytes, added_utc) VALUES ($p, $t, $h, $b, $a)", transaction,
                    ("$p", full), ("$t", document.Title), ("$h", hash), ("$b", bytes.LongLength), ("$a", DateTime.UtcNow.ToString("O")));
                long documentId = (long)Scalar(_db, "SELECT last_insert_rowid()", transaction)!;
                for (int i = 0; i < chunks.Count; i++)
                {
                    var c = chunks[i];
                    byte[] blob = MemoryMarshal.AsBytes(vectors[i].Vector.Span).ToArray();
                    Execute(_db, "INSERT INTO chunks(document_id, ordinal, text, heading, start, end, page, embedding) VALUES ($d, $o, $x, $h, $s, $e, $g, $v)", transaction,
                        ("$d", documentId), ("$o", i), ("$x", c.Text), ("$h", (object?)c.Heading ?? DBNull.Value), ("$s", c.Start), ("$e", c.End), ("$g", document.PageAt(c.Start)), ("$v", blob));
                    long chunkId = (long)Scalar(_db, "SELECT last_insert_rowid()", transaction)!;
                    Execute(_db, "INSERT INTO chunks_fts(rowid, text) VALUES ($r, $x)", transaction, ("$r", chunkId), ("$x", c.Text));
                }
                BumpGeneration(transaction);
                transaction.Commit();
            }
            progress?.Report((f + 1, files.Count));
        }
        return new IngestReport(added, replaced, unchanged, embedded, skipped);
    }

    /// <summary>Removes the documents whose path is <paramref name="path"/> or lies under it; returns how many.</summary>
    public int Remove(string path)
    {
        string full = Path.GetFullPath(path);
        var paths = new List<string>();
        using (var command = Command(_db, "SELECT path FROM documents WHERE path = $p OR path LIKE $prefix ESCAPE '\\'", null))
        {
            AddPrefix(command, full);
            using var reader = command.ExecuteReader();
            while (reader.Read()) paths.Add(reader.GetString(0));
        }
        using var transaction = _db.BeginTransaction();
        foreach (string p in paths) RemoveDocument(p, transaction);
        if (paths.Count > 0) BumpGeneration(transaction);
        transaction.Commit();
        return paths.Count;
    }

    /// <summary>The documents, by path.</summary>
    public List<DocumentInfo> List()
    {
        var list = new List<DocumentInfo>();
        using var command = Command(_db, "SELECT d.path, d.title, d.hash, d.bytes, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) FROM documents d ORDER BY d.path", null);
        using var reader = command.ExecuteReader();
        while (reader.Read()) list.Add(new DocumentInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4)));
        return list;
    }

    /// <summary>A stored chunk with its document's path and title (and its embedding when asked for).</summary>
    internal sealed record ChunkRow(long Id, string Path, string Title, string Text, string? Heading, int Start, int End, int Page, float[]? Embedding);

    /// <summary>The chunks with the given ids (all when null), by id.</summary>
    internal List<ChunkRow> ReadChunks(IEnumerable<long>? ids, bool vectors)
    {
        string sql = "SELECT c.id, d.path, d.title, c.text, c.heading, c.start, c.end, c.page" + (vectors ? ", c.embedding" : "") +
            " FROM chunks c JOIN documents d ON d.id = c.document_id";
        var rows = new List<ChunkRow>();
        if (ids == null)
        {
            using var all = Command(_db, sql + " ORDER BY c.id", null);
            Read(all, rows, vectors);
            return rows;
        }
        using var one = Command(_db, sql + " WHERE c.id = $id", null);
        var parameter = one.Parameters.Add("$id", SqliteType.Integer);
        foreach (long id in ids)
        {
            parameter.Value = id;
            Read(one, rows, vectors);
        }
        return rows;
    }

    private static void Read(SqliteCommand command, List<ChunkRow> rows, bool vectors)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
            rows.Add(new ChunkRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7), vectors ? MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(8)).ToArray() : null));
    }

    /// <summary>Writes one chunk: replaces chunk <paramref name="id"/> (or inserts it under that id), or inserts a new chunk
    /// when <paramref name="id"/> is 0; its document (by path) is created when missing. Returns the chunk's id.</summary>
    internal long UpsertChunk(long id, string path, string title, string text, string? heading, int start, int end, int page, ReadOnlySpan<float> embedding)
    {
        int dimensions = Dimensions();
        if (embedding.Length != dimensions) throw new ArgumentException($"chunk {id}: the embedding has {embedding.Length} values; this knowledge base holds {dimensions}");
        byte[] blob = MemoryMarshal.AsBytes(embedding).ToArray();
        using var transaction = _db.BeginTransaction();
        long documentId = Scalar(_db, "SELECT id FROM documents WHERE path = $p", transaction, ("$p", path)) is long existing ? existing : Insert();
        long Insert()
        {
            Execute(_db, "INSERT INTO documents(path, title, hash, bytes, added_utc) VALUES ($p, $t, '', 0, $a)", transaction, ("$p", path), ("$t", title), ("$a", DateTime.UtcNow.ToString("O")));
            return (long)Scalar(_db, "SELECT last_insert_rowid()", transaction)!;
        }
        bool exists = id > 0 && Scalar(_db, "SELECT COUNT(*) FROM chunks WHERE id = $id", transaction, ("$id", id)) is long n && n > 0;
        if (exists)
        {
            Execute(_db, "UPDATE chunks SET document_id = $d, text = $x, heading = $h, start = $s, end = $e, page = $g, embedding = $v WHERE id = $id", transaction,
                ("$d", documentId), ("$x", text), ("$h", (object?)heading ?? DBNull.Value), ("$s", start), ("$e", end), ("$g", page), ("$v", blob), ("$id", id));
            Execute(_db, "DELETE FROM chunks_fts WHERE rowid = $id", transaction, ("$id", id));
        }
        else
        {
            long ordinal = (long)Scalar(_db, "SELECT COUNT(*) FROM chunks WHERE document_id = $d", transaction, ("$d", documentId))!;
            Execute(_db, "INSERT INTO chunks(" + (id > 0 ? "id, " : "") + "document_id, ordinal, text, heading, start, end, page, embedding) VALUES (" + (id > 0 ? "$id, " : "") + "$d, $o, $x, $h, $s, $e, $g, $v)", transaction,
                ("$id", id), ("$d", documentId), ("$o", ordinal), ("$x", text), ("$h", (object?)heading ?? DBNull.Value), ("$s", start), ("$e", end), ("$g", page), ("$v", blob));
            if (id <= 0) id = (long)Scalar(_db, "SELECT last_insert_rowid()", transaction)!;
        }
        Execute(_db, "INSERT INTO chunks_fts(rowid, text) VALUES ($r, $x)", transaction, ("$r", id), ("$x", text));
        BumpGeneration(transaction);
        transaction.Commit();
        return id;
    }

    /// <summary>Deletes the chunks with these ids, and the documents left with none; returns how many chunks went.</summary>
    internal int DeleteChunks(IEnumerable<long> ids)
    {
        using var transaction = _db.BeginTransaction();
        int deleted = 0;
        foreach (long id in ids)
        {
            Execute(_db, "DELETE FROM chunks_fts WHERE rowid = $id", transaction, ("$id", id));
            using var command = Command(_db, "DELETE FROM chunks WHERE id = $id", transaction, ("$id", id));
            deleted += command.ExecuteNonQuery();
        }
        Execute(_db, "DELETE FROM documents WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = documents.id)", transaction);
        if (deleted > 0) BumpGeneration(transaction);
        transaction.Commit();
        return deleted;
    }

    /// <summary>The embedding of <paramref name="text"/> by the knowledge base's model.</summary>
    internal async Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        var embedder = _embedder ?? throw new InvalidOperationException("embedding text needs the embedding model (--embed-model)");
        return (await embedder.GenerateAsync([text], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector.ToArray();
    }

    /// <summary>The embedding generator the knowledge base embeds with (for <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>), or null.</summary>
    public object? GetService(Type serviceType) => serviceType.IsInstanceOfType(_embedder) ? _embedder : null;

    /// <summary>The name the knowledge base goes by: its file name without extension.</summary>
    public string Name => Path.GetFileNameWithoutExtension(_db.DataSource);

    /// <summary>The text of up to <paramref name="limit"/> chunks, in storage order.</summary>
    public List<string> ChunkTexts(int limit)
    {
        var texts = new List<string>();
        using var command = Command(_db, "SELECT text FROM chunks ORDER BY id LIMIT $n", null, ("$n", limit));
        using var reader = command.ExecuteReader();
        while (reader.Read()) texts.Add(reader.GetString(0));
        return texts;
    }

    /// <summary>The chunks stored in all.</summary>
    public long ChunkCount => (long)Scalar(_db, "SELECT COUNT(*) FROM chunks")!;

    /// <summary>The <paramref name="k"/> best chunks for <paramref name="query"/>: BM25 and vector search fused by reciprocal
    /// rank, under <paramref name="pathPrefix"/> when given.</summary>
    public async Task<List<SearchHit>> SearchAsync(string query, int k = 10, string? pathPrefix = null, CancellationToken cancellationToken = default)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), "k must be at least 1");
        var embedder = _embedder ?? throw new InvalidOperationException("searching needs the embedding model (--embed-model)");
        int depth = Math.Max(k * 4, 50);
        string? prefix = pathPrefix == null ? null : Path.GetFullPath(pathPrefix);
        var bm25 = Bm25(query, depth, prefix);
        var queryVector = (await embedder.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector.ToArray();
        var similar = Nearest(queryVector, depth, prefix);
        var fused = new Dictionary<long, double>();
        for (int r = 0; r < bm25.Count; r++) fused[bm25[r].Id] = fused.GetValueOrDefault(bm25[r].Id) + 1.0 / (RrfK + r + 1);
        for (int r = 0; r < similar.Count; r++) fused[similar[r].Id] = fused.GetValueOrDefault(similar[r].Id) + 1.0 / (RrfK + r + 1);
        var bmScore = bm25.ToDictionary(b => b.Id, b => b.Score);
        var simScore = similar.ToDictionary(s => s.Id, s => s.Score);
        var hits = new List<SearchHit>();
        foreach (var (id, score) in fused.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(k))
        {
            using var command = Command(_db, "SELECT d.path, d.title, c.text, c.heading, c.start, c.end, c.page FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = $id", null, ("$id", id));
            using var reader = command.ExecuteReader();
            if (!reader.Read()) continue;
            hits.Add(new SearchHit(id, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6), bmScore.TryGetValue(id, out var b) ? b : null, simScore.TryGetValue(id, out var s) ? s : null, score));
        }
        return hits;
    }

    /// <summary>The keyword search alone: BM25 over FTS5 of the query's words (OR-ed), best first, under
    /// <paramref name="prefix"/> (a full path) when given. SQLite's bm25() is lower-is-better; the score here is its negation.</summary>
    public List<(long Id, double Score)> KeywordSearch(string query, int limit, string? prefix = null) => Bm25(query, limit, prefix);

    private List<(long Id, double Score)> Bm25(string query, int limit, string? prefix)
    {
        var words = System.Text.RegularExpressions.Regex.Matches(query, @"[\p{L}\p{N}_]+").Select(m => "\"" + m.Value + "\"").Distinct().ToList();
        var result = new List<(long, double)>();
        if (words.Count == 0) return result;
        string sql = "SELECT f.rowid, bm25(chunks_fts) AS score FROM chunks_fts f JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id " +
            "WHERE chunks_fts MATCH $q" + (prefix != null ? " AND (d.path = $p OR d.path LIKE $prefix ESCAPE '\\')" : "") + " ORDER BY score LIMIT $n";
        using var command = Command(_db, sql, null, ("$q", string.Join(" OR ", words)), ("$n", limit));
        AddPrefix(command, prefix);
        using var reader = command.ExecuteReader();
        while (reader.Read()) result.Add((reader.GetInt64(0), -reader.GetDouble(1)));
        return result;
    }

    // The vector search: the index (or an exact scan) over the in-memory vectors; under a path, an exact scan of its chunks.
    private List<(long Id, double Score)> Nearest(float[] query, int limit, string? prefix)
    {
        HashSet<long>? ids = null;
        if (prefix != null)
        {
            ids = [];
            using var command = Command(_db, "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = $p OR d.path LIKE $prefix ESCAPE '\\'", null);
            AddPrefix(command, prefix);
            using var reader = command.ExecuteReader();
            while (reader.Read()) ids.Add(reader.GetInt64(0));
        }
        return Nearest(query, limit, ids);
    }

    /// <summary>The <paramref name="limit"/> chunks nearest <paramref name="query"/>, among <paramref name="ids"/> when given
    /// (then by a scan of those), best first.</summary>
    internal List<(long Id, double Score)> Nearest(float[] query, int limit, HashSet<long>? ids)
    {
        var (vectors, index) = Vectors();
        if (vectors.Dimensions != query.Length) return [];
        Func<int, bool>? include = ids == null ? null : row => ids.Contains(vectors.Id(row));
        var hits = index != null && include == null ? index.Search(query, limit, Math.Max(EfSearch, limit))
            : vectors.LiveCount >= ScanThreshold ? vectors.Scan(query, limit, Math.Max(ScanCandidates, limit), include)
            : vectors.Exact(query, limit, include);
        return hits.Select(h => (vectors.Id(h.Row), (double)h.Score)).ToList();
    }

    /// <summary>Brings the in-memory vectors, and from <see cref="GraphThreshold"/> chunks the approximate index (saved to
    /// <see cref="IndexPath"/>), up to date with the stored chunks; <paramref name="progress"/> gets (rows inserted, rows to insert).</summary>
    public (VectorSet Vectors, HnswIndex? Index) Vectors(IProgress<(int Done, int Count)>? progress = null)
    {
        long generation = Generation();
        if (_vectors != null && generation == _loadedGeneration) return (_vectors, _index);
        int dimensions = Dimensions();
        var stored = new List<(long Id, float[] Vector)>();
        using (var command = Command(_db, "SELECT id, embedding FROM chunks ORDER BY id", null))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) stored.Add((reader.GetInt64(0), MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(1)).ToArray()));
        stored.RemoveAll(s => s.Vector.Length != dimensions);
        if (stored.Count < GraphThreshold)
        {
            var set = new VectorSet(Math.Max(1, dimensions), stored.Count);
            foreach (var (id, vector) in stored) set.Add(id, vector);
            (_vectors, _index) = (set, null);
        }
        else
        {
            var index = LoadIndex(dimensions, stored);
            int from = index.Count;
            var inIndex = new HashSet<long>();
            for (int row = 0; row < index.Set.Count; row++) inIndex.Add(index.Set.Id(row));
            foreach (var (id, vector) in stored)
                if (!inIndex.Contains(id)) index.Set.Add(id, vector);
            int count = index.Set.Count - from;
            if (count > 0 || !File.Exists(IndexPath))
            {
                index.AddRange(from, index.Set.Count, IndexThreads, progress == null ? null : new Progress<int>(done => progress.Report((done, count))));
                index.Save(IndexPath, generation);
            }
            (_vectors, _index) = (index.Set, index);
        }
        _loadedGeneration = generation;
        return (_vectors, _index);
    }

    // The saved index with its rows checked against the stored vectors, or a new empty one (none saved, another width, or
    // over a quarter of its rows gone).
    private HnswIndex LoadIndex(int dimensions, List<(long Id, float[] Vector)> stored)
    {
        if (File.Exists(IndexPath))
        {
            var byId = stored.ToDictionary(s => s.Id, s => s.Vector);
            if (HnswIndex.Load(IndexPath, dimensions, id => byId.GetValueOrDefault(id)) is { } loaded
                && loaded.Index.Set.Count - loaded.Index.Set.LiveCount <= loaded.Index.Set.Count / 4)
                return loaded.Index;
        }
        return new HnswIndex(new VectorSet(dimensions, stored.Count));
    }

    // The embedding width recorded at creation (0 in a file without one).
    private int Dimensions() =>
        int.TryParse(Scalar(_db, "SELECT value FROM meta WHERE key = 'dimensions'") as string, System.Globalization.CultureInfo.InvariantCulture, out int d) ? d : 0;

    private long Generation() =>
        long.TryParse(Scalar(_db, "SELECT value FROM meta WHERE key = 'generation'") as string, out long g) ? g : 0;

    private void BumpGeneration(SqliteTransaction transaction) =>
        Execute(_db, "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)", transaction);

    private void RemoveDocument(string path, SqliteTransaction transaction)
    {
        Execute(_db, "DELETE FROM chunks_fts WHERE rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = $p)", transaction, ("$p", path));
        Execute(_db, "DELETE FROM documents WHERE path = $p", transaction, ("$p", path)); // chunks go with it (ON DELETE CASCADE)
    }

    // The parameters of the path filter "d.path = $p OR d.path LIKE $prefix": the path itself, or anything under it.
    private static void AddPrefix(SqliteCommand command, string? prefix)
    {
        if (prefix == null) return;
        command.Parameters.AddWithValue("$p", prefix);
        command.Parameters.AddWithValue("$prefix", Under(prefix));
    }

    // LIKE pattern of every path inside the folder (or below the file name) `path`.
    private static string Under(string path) => Like(path.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar) + "%";

    private static string Like(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static SqliteCommand Command(SqliteConnection db, string sql, SqliteTransaction? transaction, params (string Name, object Value)[] parameters)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    private static void Execute(SqliteConnection db, string sql, params (string Name, object Value)[] parameters) => Execute(db, sql, null, parameters);

    private static void Execute(SqliteConnection db, string sql, SqliteTransaction? transaction, params (string Name, object Value)[] parameters)
    {
        using var command = Command(db, sql, transaction, parameters);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection db, string sql, params (string Name, object Value)[] parameters) => Scalar(db, sql, null, parameters);

    private static object? Scalar(SqliteConnection db, string sql, SqliteTransaction? transaction, params (string Name, object Value)[] parameters)
    {
        using var command = Command(db, sql, transaction, parameters);
        return command.ExecuteScalar();
    }

    public void Dispose() => _db.Dispose();
}
