using Wafer.Rag.Vectors;

namespace Wafer.Rag.Tests.Vectors;

public sealed class HnswIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-hnsw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Seeded random unit vectors (Gaussian components, normalised), the benchmark's data.</summary>
    internal static float[][] UnitVectors(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        var vectors = new float[count][];
        for (int i = 0; i < count; i++)
        {
            var v = new float[dimensions];
            double norm = 0;
            for (int d = 0; d < dimensions; d++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                v[d] = (float)g;
                norm += g * g;
            }
            float inverse = (float)(1 / Math.Sqrt(norm));
            for (int d = 0; d < dimensions; d++) v[d] *= inverse;
            vectors[i] = v;
        }
        return vectors;
    }

    private static VectorSet Set(float[][] vectors)
    {
        var set = new VectorSet(vectors[0].Length);
        for (int i = 0; i < vectors.Length; i++) set.Add(1000 + i, vectors[i]);
        return set;
    }

    private static double Recall(VectorSet set, HnswIndex index, float[][] queries, int k, int ef)
    {
        int hits = 0;
        foreach (var q in queries)
        {
            var exact = set.Exact(q, k).Select(h => h.Row).ToHashSet();
            hits += index.Search(q, k, ef).Count(h => exact.Contains(h.Row));
        }
        return (double)hits / (queries.Length * k);
    }

    [Fact]
    public void Search_RandomUnitVectors_RecallAtTenAboveNinetyFivePercentAndExactScores()
    {
        var set = Set(UnitVectors(4000, 48, seed: 1));
        var index = new HnswIndex(set, m: 16, efConstruction: 100);
        index.AddRange(0, set.Count, threads: 2);
        Assert.Equal(4000, index.Count);
        var queries = UnitVectors(100, 48, seed: 2);
        double recall = Recall(set, index, queries, 10, ef: 128);
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3}");
        // Scores are the exact dot products, best first.
        var hits = index.Search(queries[0], 10, 64);
        for (int i = 0; i < hits.Count; i++)
        {
            Assert.Equal(Wafer.Kernels.Ops.VectorMath.Dot(queries[0], set.Vector(hits[i].Row)), hits[i].Score);
            if (i > 0) Assert.True(hits[i - 1].Score >= hits[i].Score);
        }
        // A wider search finds at least as much.
        Assert.True(Recall(set, index, queries, 10, ef: 16) <= recall + 1e-9);
    }

    [Fact]
    public void Search_RemovedRowsAndFilter_NeverReturned()
    {
        var vectors = UnitVectors(2000, 32, seed: 3);
        var set = Set(vectors);
        var index = new HnswIndex(set);
        index.AddRange(0, set.Count);
        var nearest = index.Search(vectors[7], 5, 64);
        Assert.Equal(7, nearest[0].Row); // a stored vector finds itself
        Assert.True(set.Remove(1007));
        Assert.DoesNotContain(index.Search(vectors[7], 5, 64), h => h.Row == 7);
        Assert.All(index.Search(vectors[8], 5, 64, include: row => row % 2 == 0), h => Assert.Equal(0, h.Row % 2));
    }

    [Fact]
    public void SaveLoad_SameResults_ChangedVectorsBecomeRemoved()
    {
        var vectors = UnitVectors(3000, 32, seed: 4);
        var set = Set(vectors);
        var index = new HnswIndex(set);
        index.AddRange(0, set.Count, threads: 2);
        string path = Path.Combine(_dir, "kb.sqlite.hnsw");
        index.Save(path, generation: 9);
        var queries = UnitVectors(20, 32, seed: 5);

        var loaded = HnswIndex.Load(path, 32, id => vectors[(int)(id - 1000)]);
        Assert.NotNull(loaded);
        Assert.Equal(9, loaded.Value.Generation);
        foreach (var q in queries) Assert.Equal(index.Search(q, 10, 64), loaded.Value.Index.Search(q, 10, 64));

        // Id 1005's vector changed and 1006's is gone: both are removed rows; the rest are found as before.
        var changed = UnitVectors(1, 32, seed: 6)[0];
        var reloaded = HnswIndex.Load(path, 32, id => id == 1005 ? changed : id == 1006 ? null : vectors[(int)(id - 1000)])!.Value.Index;
        Assert.True(reloaded.Set.IsRemoved(5) && reloaded.Set.IsRemoved(6) && !reloaded.Set.IsRemoved(7));
        Assert.Equal(2998, reloaded.Set.LiveCount);
        Assert.DoesNotContain(reloaded.Search(vectors[5], 10, 64), h => h.Row == 5);
        // New rows are inserted into the loaded graph.
        int row = reloaded.Set.Add(5005, changed);
        reloaded.AddRange(row, row + 1);
        Assert.Equal(row, reloaded.Search(changed, 1, 64)[0].Row);

        Assert.Null(HnswIndex.Load(path, 64, _ => null)); // another width: rebuild
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Null(HnswIndex.Load(path, 32, _ => null));
    }

    [Fact]
    public void Build_SameSeedOneThread_Reproducible()
    {
        var vectors = UnitVectors(1500, 16, seed: 7);
        var one = new HnswIndex(Set(vectors));
        one.AddRange(0, vectors.Length, threads: 1);
        var queries = UnitVectors(10, 16, seed: 8);
        var again = new HnswIndex(Set(vectors));
        again.AddRange(0, vectors.Length, threads: 1);
        foreach (var q in queries) Assert.Equal(one.Search(q, 10, 32), again.Search(q, 10, 32));
    }

    [Fact]
    public void Exact_TopKBestFirst_SkipsRemoved()
    {
        var vectors = UnitVectors(600, 24, seed: 9);
        var set = Set(vectors);
        var q = vectors[42];
        var expected = Enumerable.Range(0, 600).Select(i => (Row: i, Score: Wafer.Kernels.Ops.VectorMath.DotScalar(q, vectors[i])))
            .OrderByDescending(p => p.Score).Take(10).Select(p => p.Row).ToList();
        Assert.Equal(expected, set.Exact(q, 10).Select(h => h.Row).ToList());
        set.Remove(1042);
        Assert.DoesNotContain(set.Exact(q, 10), h => h.Row == 42);
        Assert.Throws<ArgumentException>(() => set.Add(1001, vectors[1]));
        Assert.Throws<ArgumentException>(() => set.Add(5, new float[3]));
    }

    [Fact]
    public void Scan_EightBitCodesReranked_FindsTheExactTopK()
    {
        var vectors = UnitVectors(3000, 64, seed: 10);
        var set = Set(vectors);
        foreach (var q in UnitVectors(20, 64, seed: 11))
            Assert.Equal(set.Exact(q, 10).Select(h => h.Row), set.Scan(q, 10, candidates: 100).Select(h => h.Row));
        set.Remove(1003);
        Assert.DoesNotContain(set.Scan(vectors[3], 10, 50), h => h.Row == 3);
        Assert.All(set.Scan(vectors[4], 10, 50, include: row => row < 100), h => Assert.True(h.Row < 100));
    }
}
