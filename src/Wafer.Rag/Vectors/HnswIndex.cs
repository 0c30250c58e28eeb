using System.Buffers.Binary;
using Wafer.Kernels.Ops;

namespace Wafer.Rag.Vectors;

/// <summary>An approximate nearest-neighbour index of our own: a hierarchical navigable small world graph (Malkov and
/// Yashunin, 2016) over the rows of a <see cref="VectorSet"/>, walked on the rows' 8-bit codes and reranked on their full
/// values; inner product of unit vectors as the similarity.</summary>
/// <remarks>
/// Insert (<see cref="Add"/>): step 1 draw the row's top layer, −ln(u)/ln(M), from a hash of the row and the seed (so a
/// build is reproducible whatever the thread order); step 2 descend greedily from the entry point to that layer; step 3 on
/// each layer from there down, search with <see cref="EfConstruction"/> candidates, keep M of them by the diversity
/// heuristic (a candidate is skipped when it is closer to a kept one than to the new row; skipped ones fill the rest), and
/// link both ways; a neighbour over its budget (M, 2M on layer 0) keeps its most similar links. Rows are inserted on
/// several threads at once: each row's links are guarded by one of 1,024 striped locks.
/// Search (<see cref="Search"/>): greedy descent to layer 0, a best-first search there with ef candidates on the codes, then
/// the candidates' exact dot products with the query; rows removed from the set are walked through but never returned.
/// Searches may run together, but not beside inserts.
/// </remarks>
public sealed class HnswIndex
{
    private const int LockCount = 1024;
    private const uint Magic = 0x57534E48; // "HNSW", little-endian
    private const int FormatVersion = 2;

    private readonly VectorSet _set;
    private readonly object[] _locks = Enumerable.Range(0, LockCount).Select(_ => new object()).ToArray();
    private readonly object _entryLock = new();
    private readonly double _levelScale;
    private int[] _links0 = [];     // [capacity, Stride0]: the count, then up to 1.5 · M0 neighbours' rows
    private int[]?[] _upper = [];   // [capacity] → [level − 1, StrideUp] for levels 1..top, null for rows on layer 0 only
    private byte[] _levels = [];    // [capacity]: each row's top layer
    private bool[] _inserted = [];  // [capacity]
    private int _entry = -1;
    private int _maxLevel = -1;
    private int _count;
    [ThreadStatic] private static Visited? t_visited;

    /// <summary>An empty index over <paramref name="set"/>'s rows.</summary>
    public HnswIndex(VectorSet set, int m = 32, int efConstruction = 200, ulong seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(efConstruction, m);
        _set = set;
        M = m;
        EfConstruction = efConstruction;
        Seed = seed;
        _levelScale = 1 / Math.Log(m);
        Grow(set.Count);
    }

    /// <summary>Links per row on layers above 0 (twice as many on layer 0).</summary>
    public int M { get; }

    private int M0 => 2 * M;

    // A row's links may grow to 1.5 × the budget before the heuristic cuts them back to the budget: one cut per budget/2
    // new links rather than one per link.
    private int Capacity0 => M0 + M0 / 2;

    private int Stride0 => Capacity0 + 1;

    private int StrideUp => M + M / 2 + 1;

    /// <summary>Candidates kept while inserting.</summary>
    public int EfConstruction { get; }

    public ulong Seed { get; }

    /// <summary>Rows inserted.</summary>
    public int Count => _count;

    /// <summary>The set the rows belong to.</summary>
    public VectorSet Set => _set;

    /// <summary>Bytes the graph holds per row (links and layers; the codes and values are the set's).</summary>
    public double GraphBytesPerRow
    {
        get
        {
            long bytes = 0;
            for (int r = 0; r < _count; r++) bytes += Stride0 * 4 + 1 + (_upper[r]?.Length ?? 0) * 4;
            return _count == 0 ? 0 : (double)bytes / _count;
        }
    }

    /// <summary>Inserts rows [<paramref name="from"/>, <paramref name="to"/>) of the set on <paramref name="threads"/>
    /// threads; <paramref name="progress"/> gets the rows inserted so far, now and then.</summary>
    public void AddRange(int from, int to, int threads = 1, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        Grow(to);
        int next = from;
        if (_entry < 0 && next < to) Add(next++);
        int done = 0;
        Parallel.For(next, to, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken }, row =>
        {
            Add(row);
            int n = Interlocked.Increment(ref done);
            if (progress != null && n % 1024 == 0) progress.Report(n);
        });
        progress?.Report(to - from);
    }

    /// <summary>Inserts one row of the set (a row already inserted is left as it is).</summary>
    public void Add(int row)
    {
        Grow(row + 1);
        lock (Lock(row))
        {
            if (_inserted[row]) return;
            _inserted[row] = true;
        }
        int level = Level(row);
        _levels[row] = (byte)level;
        if (level > 0) _upper[row] = new int[level * StrideUp];
        var code = _set.Code(row);
        float scale = _set.Scale(row);

        int entry, top;
        lock (_entryLock)
        {
            if (_entry < 0)
            {
                _entry = row;
                _maxLevel = level;
                Interlocked.Increment(ref _count);
                return;
            }
            entry = _entry;
            top = _maxLevel;
        }
        float entrySimilarity = Similarity(code, scale, entry);
        for (int l = top; l > level; l--) (entry, entrySimilarity) = Greedy(code, scale, entry, entrySimilarity, l, locked: true);
        var visited = Visitor();
        for (int l = Math.Min(level, top); l >= 0; l--)
        {
            var candidates = SearchLayer(code, scale, entry, entrySimilarity, EfConstruction, l, visited, locked: true);
            var chosen = SelectNeighbours(candidates, l == 0 ? M0 : M);
            lock (Lock(row)) SetLinks(row, l, chosen);
            foreach (var (neighbour, similarity) in chosen) Link(neighbour, row, similarity, l);
            (entry, entrySimilarity) = candidates[0];
        }
        Interlocked.Increment(ref _count);
        if (level > top)
            lock (_entryLock)
                if (level > _maxLevel)
                {
                    _maxLevel = level;
                    _entry = row;
                }
    }

    /// <summary>The <paramref name="k"/> rows most similar to <paramref name="query"/> (a unit vector), best first, from a
    /// search with <paramref name="ef"/> candidates (at least k); <paramref name="include"/> (when given) filters the rows
    /// returned, not the ones walked through.</summary>
    public List<(int Row, float Score)> Search(ReadOnlySpan<float> query, int k, int ef, Func<int, bool>? include = null)
    {
        if (query.Length != _set.Dimensions) throw new ArgumentException($"the query has {query.Length} values; the index holds {_set.Dimensions}", nameof(query));
        if (_entry < 0 || k < 1) return [];
        Span<sbyte> code = stackalloc sbyte[query.Length];
        float scale = VectorSet.Quantize(query, code);
        int entry = _entry;
        float similarity = Similarity(code, scale, entry);
        for (int l = _maxLevel; l > 0; l--) (entry, similarity) = Greedy(code, scale, entry, similarity, l, locked: false);
        var candidates = SearchLayer(code, scale, entry, similarity, Math.Max(ef, k), 0, Visitor(), locked: false);
        var best = new TopK(k);
        foreach (var (row, _) in candidates)
            if (!_set.IsRemoved(row) && (include == null || include(row))) best.Offer(row, VectorMath.Dot(query, _set.Vector(row)));
        return best.Drain();
    }

    // The row's top layer, from a SplitMix64 hash of (seed, row): reproducible on any number of threads.
    private int Level(int row)
    {
        ulong z = Seed + 0x9E3779B97F4A7C15UL * (ulong)(row + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double u = ((z >> 11) + 0.5) / (1UL << 53);
        return Math.Min(15, (int)(-Math.Log(u) * _levelScale));
    }

    private float Similarity(ReadOnlySpan<sbyte> code, float scale, int row) =>
        Int8Dot.Dot(code, _set.Code(row)) * scale * _set.Scale(row);

    private float Similarity(int a, int b) => Similarity(_set.Code(a), _set.Scale(a), b);

    // Moves to the most similar neighbour on layer l until none is more similar.
    private (int Row, float Similarity) Greedy(ReadOnlySpan<sbyte> code, float scale, int entry, float similarity, int level, bool locked)
    {
        Span<int> neighbours = stackalloc int[Capacity0];
        for (bool moved = true; moved;)
        {
            moved = false;
            int n = Neighbours(entry, level, neighbours, locked);
            for (int i = 0; i < n; i++)
            {
                float s = Similarity(code, scale, neighbours[i]);
                if (s > similarity)
                {
                    similarity = s;
                    entry = neighbours[i];
                    moved = true;
                }
            }
        }
        return (entry, similarity);
    }

    // Best-first search on one layer: the ef most similar rows reached from the entry, most similar first.
    private List<(int Row, float Similarity)> SearchLayer(ReadOnlySpan<sbyte> code, float scale, int entry, float similarity, int ef, int level, Visited visited, bool locked)
    {
        visited.Reset(_levels.Length);
        var candidates = new PriorityQueue<int, float>(); // most similar first (priority −similarity)
        var found = new PriorityQueue<int, float>();      // least similar first: the ef best so far
        visited.Mark(entry);
        candidates.Enqueue(entry, -similarity);
        found.Enqueue(entry, similarity);
        Span<int> neighbours = stackalloc int[Capacity0];
        while (candidates.TryDequeue(out int current, out float negated))
        {
            found.TryPeek(out _, out float worst);
            if (-negated < worst && found.Count >= ef) break;
            int n = Neighbours(current, level, neighbours, locked);
            for (int i = 0; i < n; i++)
            {
                int next = neighbours[i];
                if (!visited.Mark(next)) continue;
                float s = Similarity(code, scale, next);
                found.TryPeek(out _, out worst);
                if (found.Count < ef || s > worst)
                {
                    candidates.Enqueue(next, -s);
                    found.Enqueue(next, s);
                    if (found.Count > ef) found.Dequeue();
                }
            }
        }
        var list = new List<(int, float)>(found.Count);
        while (found.TryDequeue(out int row, out float s)) list.Add((row, s));
        list.Reverse();
        return list;
    }

    // The diversity heuristic over candidates sorted most similar first; the skipped ones fill what is left of the budget.
    private List<(int Row, float Similarity)> SelectNeighbours(List<(int Row, float Similarity)> candidates, int budget)
    {
        if (candidates.Count <= budget) return candidates;
        var chosen = new List<(int, float)>(budget);
        var skipped = new List<(int, float)>();
        foreach (var (row, similarity) in candidates)
        {
            if (chosen.Count == budget) break;
            bool diverse = true;
            foreach (var (kept, _) in chosen)
                if (Similarity(row, kept) > similarity)
                {
                    diverse = false;
                    break;
                }
            if (diverse) chosen.Add((row, similarity));
            else skipped.Add((row, similarity));
        }
        for (int i = 0; i < skipped.Count && chosen.Count < budget; i++) chosen.Add(skipped[i]);
        return chosen;
    }

    // Adds `row` to `neighbour`'s links on the layer; when they are full (1.5 × the budget), the diversity heuristic keeps the
    // budget of them (the new one included as a candidate): cutting by similarity alone would drop the long links that join
    // clusters, and the graph would fall apart into islands.
    private void Link(int neighbour, int row, float similarity, int level)
    {
        int budget = level == 0 ? M0 : M;
        int capacity = budget + budget / 2;
        lock (Lock(neighbour))
        {
            var links = Links(neighbour, level);
            int n = links[0];
            for (int i = 1; i <= n; i++)
                if (links[i] == row) return;
            if (n < capacity)
            {
                links[n + 1] = row;
                links[0] = n + 1;
                return;
            }
            var candidates = new List<(int Row, float Similarity)>(n + 1) { (row, similarity) };
            for (int i = 1; i <= n; i++) candidates.Add((links[i], Similarity(neighbour, links[i])));
            candidates.Sort((a, b) => b.Similarity.CompareTo(a.Similarity));
            SetLinks(neighbour, level, SelectNeighbours(candidates, budget));
        }
    }

    private void SetLinks(int row, int level, List<(int Row, float Similarity)> chosen)
    {
        var links = Links(row, level);
        links[0] = chosen.Count;
        for (int i = 0; i < chosen.Count; i++) links[i + 1] = chosen[i].Row;
    }

    private Span<int> Links(int row, int level) =>
        level == 0 ? _links0.AsSpan(row * Stride0, Stride0) : _upper[row].AsSpan((level - 1) * StrideUp, StrideUp);

    // Copies a row's links on the layer (none above its top layer).
    private int Neighbours(int row, int level, Span<int> destination, bool locked)
    {
        if (level > _levels[row]) return 0;
        if (!locked) return Copy(Links(row, level), destination);
        lock (Lock(row)) return Copy(Links(row, level), destination);
    }

    private static int Copy(Span<int> links, Span<int> destination)
    {
        int n = links[0];
        links.Slice(1, n).CopyTo(destination);
        return n;
    }

    private object Lock(int row) => _locks[row & (LockCount - 1)];

    private void Grow(int rows)
    {
        if (rows <= _levels.Length) return;
        lock (_entryLock)
        {
            if (rows <= _levels.Length) return;
            int capacity = Math.Max(rows, Math.Max(16, _levels.Length * 2));
            Array.Resize(ref _links0, checked(capacity * Stride0));
            Array.Resize(ref _upper, capacity);
            Array.Resize(ref _levels, capacity);
            Array.Resize(ref _inserted, capacity);
        }
    }

    private static Visited Visitor() => t_visited ??= new Visited();

    /// <summary>Writes the graph and, to check it against the set it is loaded with, each row's id, code and scale.</summary>
    public void Save(string path, long generation)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var w = new BinaryWriter(stream))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(_set.Dimensions);
            w.Write(M);
            w.Write(EfConstruction);
            w.Write(Seed);
            w.Write(generation);
            w.Write(_count);
            w.Write(_entry);
            w.Write(_maxLevel);
            for (int row = 0; row < _count; row++)
            {
                w.Write(_set.Id(row));
                w.Write(_set.Scale(row));
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_set.Code(row)));
                w.Write(_levels[row]);
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_links0.AsSpan(row * Stride0, Stride0)));
                if (_upper[row] is { } upper) w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(upper.AsSpan()));
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A saved index, with its rows as a new <see cref="VectorSet"/>: each saved row whose id <paramref name="vectors"/>
    /// still holds with the same code gets that vector; the others are rows removed (walked through, never returned).
    /// Null when the file is not an index of this width (build a new one).</summary>
    public static (HnswIndex Index, long Generation)? Load(string path, int dimensions, Func<long, float[]?> vectors)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var r = new BinaryReader(stream);
        try
        {
            if (r.ReadUInt32() != Magic || r.ReadInt32() != FormatVersion || r.ReadInt32() != dimensions) return null;
            int m = r.ReadInt32(), ef = r.ReadInt32();
            ulong seed = r.ReadUInt64();
            long generation = r.ReadInt64();
            int count = r.ReadInt32(), entry = r.ReadInt32(), maxLevel = r.ReadInt32();
            var set = new VectorSet(dimensions, count);
            var index = new HnswIndex(set, m, ef, seed);
            index.Grow(count);
            var code = new sbyte[dimensions];
            Span<sbyte> fresh = stackalloc sbyte[dimensions];
            var linkBytes = new byte[index.Stride0 * 4];
            for (int row = 0; row < count; row++)
            {
                long id = r.ReadInt64();
                float scale = r.ReadSingle();
                r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(code.AsSpan()));
                var vector = vectors(id);
                bool same = vector != null && vector.Length == dimensions && VectorSet.Quantize(vector, fresh) == scale && fresh.SequenceEqual(code);
                if (same) set.Add(id, vector);
                else set.AddRemoved(id, code, scale);
                int level = r.ReadByte();
                index._levels[row] = (byte)level;
                index._inserted[row] = true;
                r.BaseStream.ReadExactly(linkBytes);
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(linkBytes).CopyTo(index._links0.AsSpan(row * index.Stride0, index.Stride0));
                if (level > 0)
                {
                    var upper = new int[level * index.StrideUp];
                    r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(upper.AsSpan()));
                    index._upper[row] = upper;
                }
            }
            index._count = count;
            index._entry = entry;
            index._maxLevel = maxLevel;
            return (index, generation);
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }

    /// <summary>Rows visited by one search: a stamp per row, so clearing is one increment.</summary>
    private sealed class Visited
    {
        private int[] _stamps = [];
        private int _stamp;

        public void Reset(int rows)
        {
            if (_stamps.Length < rows) _stamps = new int[rows];
            if (++_stamp == int.MaxValue)
            {
                Array.Clear(_stamps);
                _stamp = 1;
            }
        }

        /// <summary>Marks the row; false when it was marked already.</summary>
        public bool Mark(int row)
        {
            if (_stamps[row] == _stamp) return false;
            _stamps[row] = _stamp;
            return true;
        }
    }
}
