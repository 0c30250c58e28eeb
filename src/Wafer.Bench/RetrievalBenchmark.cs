using System.Diagnostics;
using Wafer.Rag.Vectors;

namespace Wafer.Bench;

/// <summary>Quality and speed of the approximate vector index against the exact scan, on seeded random unit vectors.</summary>
/// <remarks>
/// Per size: step 1 draw the vectors (Gaussian components, normalised; seeded per block of rows, so the data does not depend
/// on the thread count) and the queries (another seed); step 2 build the <see cref="HnswIndex"/> (timed, on the given
/// threads); step 3 the exact top k of every query by <see cref="VectorSet.Exact"/> on one thread (timed: the exact scan's
/// latency); step 4 per ef, every query through the index on one thread (timed), and its recall@k against step 3.
/// Random unit vectors are the hard case for a graph index (no clusters to exploit), so the recall here is a floor.
/// </remarks>
public static class RetrievalBenchmark
{
    /// <summary>One size's build.</summary>
    public sealed record Build(int Vectors, int Dimensions, double BuildSeconds, double CodeBytesPerVector, double GraphBytesPerVector,
        double FloatBytesPerVector, double ExactP50Ms, double ExactP99Ms);

    /// <summary>One size and search width.</summary>
    public sealed record Row(int Vectors, string Method, int Width, double RecallAtK, double P50Ms, double P99Ms, double MeanMs);

    /// <summary>Runs the sizes; <paramref name="status"/> hears what is going on.</summary>
    public static (List<Build> Builds, List<Row> Rows) Run(IReadOnlyList<int> sizes, int dimensions, int queryCount, int k, IReadOnlyList<int> efs,
        IReadOnlyList<int> scanCandidates, int m, int efConstruction, int threads, int seed, bool clustered, Action<string>? status = null, CancellationToken cancellationToken = default)
    {
        var builds = new List<Build>();
        var rows = new List<Row>();
        var queries = clustered ? Clustered(queryCount, dimensions, seed, seed + 1_000_003, threads) : UnitVectors(queryCount, dimensions, seed + 1_000_003, threads);
        foreach (int size in sizes)
        {
            status?.Invoke($"{size:N0} vectors: drawing");
            var set = new VectorSet(dimensions, size);
            var vectors = clustered ? Clustered(size, dimensions, seed, seed + 7, threads) : UnitVectors(size, dimensions, seed, threads);
            for (int i = 0; i < size; i++) set.Add(i, vectors[i]);
            vectors = null;
            status?.Invoke($"{size:N0} vectors: building the index on {threads} threads");
            var index = new HnswIndex(set, m, efConstruction);
            long start = Stopwatch.GetTimestamp();
            index.AddRange(0, size, threads, new Progress<int>(done => status?.Invoke($"{size:N0} vectors: building ({done:N0} inserted)")), cancellationToken);
            double buildSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

            status?.Invoke($"{size:N0} vectors: exact scans");
            var truth = new HashSet<int>[queries.Length];
            var exactMs = new double[queries.Length];
            for (int q = 0; q < queries.Length; q++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long t = Stopwatch.GetTimestamp();
                var hits = set.Exact(queries[q], k);
                exactMs[q] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                truth[q] = hits.Select(h => h.Row).ToHashSet();
            }
            Array.Sort(exactMs);
            builds.Add(new Build(size, dimensions, buildSeconds, dimensions + sizeof(float), index.GraphBytesPerRow, dimensions * sizeof(float),
                Percentile.OfSorted(exactMs, 50), Percentile.OfSorted(exactMs, 99)));

            foreach (int candidates in scanCandidates)
            {
                status?.Invoke($"{size:N0} vectors: 8-bit scan, {candidates} candidates");
                rows.Add(Measure(size, "sq8-scan", candidates, queries, truth, k, q => set.Scan(q, k, candidates)));
            }
            foreach (int ef in efs)
            {
                status?.Invoke($"{size:N0} vectors: searching, ef {ef}");
                rows.Add(Measure(size, "hnsw", ef, queries, truth, k, q => index.Search(q, k, ef)));
            }
        }
        return (builds, rows);
    }

    // Every query through `search` on this thread, timed, and its recall@k against the exact top k.
    private static Row Measure(int size, string method, int width, float[][] queries, HashSet<int>[] truth, int k, Func<float[], List<(int Row, float Score)>> search)
    {
        var ms = new double[queries.Length];
        int found = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            long t = Stopwatch.GetTimestamp();
            var hits = search(queries[q]);
            ms[q] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            found += hits.Count(h => truth[q].Contains(h.Row));
        }
        double mean = ms.Average();
        Array.Sort(ms);
        return new Row(size, method, width, (double)found / (queries.Length * k), Percentile.OfSorted(ms, 50), Percentile.OfSorted(ms, 99), mean);
    }

    /// <summary>Unit vectors with structure, as embeddings of real text have: 256 topics (random directions), 64 subtopics each
    /// (topic + 0.7 · a random direction), each vector a subtopic + 0.5 · a random direction, normalised. The topics come from
    /// <paramref name="topicSeed"/>, so queries drawn with another <paramref name="seed"/> share them.</summary>
    public static float[][] Clustered(int count, int dimensions, int topicSeed, int seed, int threads = 1)
    {
        var topics = UnitVectors(256, dimensions, topicSeed * 31 + 1, threads);
        var offsets = UnitVectors(256 * 64, dimensions, topicSeed * 31 + 2, threads);
        var noise = UnitVectors(count, dimensions, seed, threads);
        var random = new Random(seed);
        var picks = new int[count];
        for (int i = 0; i < count; i++) picks[i] = random.Next(256 * 64);
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i =>
        {
            var v = noise[i];
            var topic = topics[picks[i] / 64];
            var offset = offsets[picks[i]];
            double norm = 0;
            for (int d = 0; d < dimensions; d++)
            {
                v[d] = topic[d] + 0.7f * offset[d] + 0.5f * v[d];
                norm += v[d] * v[d];
            }
            float inverse = (float)(1 / Math.Sqrt(norm));
            for (int d = 0; d < dimensions; d++) v[d] *= inverse;
        });
        return noise;
    }

    /// <summary><paramref name="count"/> unit vectors with Gaussian components (Box–Muller), seeded per block of 4,096 rows.</summary>
    public static float[][] UnitVectors(int count, int dimensions, int seed, int threads = 1)
    {
        const int Block = 4096;
        var vectors = new float[count][];
        Parallel.For(0, (count + Block - 1) / Block, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, block =>
        {
            var random = new Random(unchecked(seed * 1_000_003 + block));
            for (int i = block * Block; i < Math.Min(count, (block + 1) * Block); i++)
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
        });
        return vectors;
    }
}
