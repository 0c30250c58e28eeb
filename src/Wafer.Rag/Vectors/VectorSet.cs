using Wafer.Kernels.Ops;

namespace Wafer.Rag.Vectors;

/// <summary>Unit vectors held in memory for search: each row's id, its full-precision values and its 8-bit code (symmetric
/// scalar quantization, one scale per vector), with rows marked removed instead of moved so an index over the rows stays valid.</summary>
public sealed class VectorSet
{
    private long[] _ids;        // [capacity]
    private float[] _values;    // [capacity, dimensions]
    private sbyte[] _codes;     // [capacity, dimensions], values in [−127, 127]
    private float[] _scales;    // [capacity]: value ≈ code · scale
    private bool[] _removed;    // [capacity]
    private readonly Dictionary<long, int> _rows = [];

    /// <summary>An empty set of vectors of <paramref name="dimensions"/> values, room for <paramref name="capacity"/>.</summary>
    public VectorSet(int dimensions, int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        Dimensions = dimensions;
        capacity = Math.Max(capacity, 16);
        _ids = new long[capacity];
        _values = new float[(long)capacity * dimensions];
        _codes = new sbyte[(long)capacity * dimensions];
        _scales = new float[capacity];
        _removed = new bool[capacity];
    }

    public int Dimensions { get; }

    /// <summary>Rows, removed ones included.</summary>
    public int Count { get; private set; }

    /// <summary>Rows not removed.</summary>
    public int LiveCount => _rows.Count;

    public long Id(int row) => _ids[row];

    public bool IsRemoved(int row) => _removed[row];

    public ReadOnlySpan<float> Vector(int row) => _values.AsSpan(row * Dimensions, Dimensions);

    public ReadOnlySpan<sbyte> Code(int row) => _codes.AsSpan(row * Dimensions, Dimensions);

    public float Scale(int row) => _scales[row];

    /// <summary>The row of <paramref name="id"/>, if it is in the set (and not removed).</summary>
    public bool TryGetRow(long id, out int row) => _rows.TryGetValue(id, out row);

    /// <summary>Appends <paramref name="vector"/> under <paramref name="id"/>; returns its row.</summary>
    /// <exception cref="ArgumentException">The vector has another width, or the id is in the set already.</exception>
    public int Add(long id, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions) throw new ArgumentException($"vector {id} has {vector.Length} values; this set holds {Dimensions}", nameof(vector));
        if (_rows.ContainsKey(id)) throw new ArgumentException($"vector {id} is in the set already", nameof(id));
        int row = Reserve();
        _ids[row] = id;
        vector.CopyTo(_values.AsSpan(row * Dimensions, Dimensions));
        _scales[row] = Quantize(vector, _codes.AsSpan(row * Dimensions, Dimensions));
        _rows[id] = row;
        return row;
    }

    /// <summary>Appends a row that is removed already: only its code, so an index saved with it can be loaded as it was.</summary>
    public int AddRemoved(long id, ReadOnlySpan<sbyte> code, float scale)
    {
        int row = Reserve();
        _ids[row] = id;
        code.CopyTo(_codes.AsSpan(row * Dimensions, Dimensions));
        _scales[row] = scale;
        _removed[row] = true;
        return row;
    }

    /// <summary>Marks <paramref name="id"/>'s row removed; false when it is not in the set.</summary>
    public bool Remove(long id)
    {
        if (!_rows.Remove(id, out int row)) return false;
        _removed[row] = true;
        return true;
    }

    /// <summary>Writes <paramref name="vector"/>'s 8-bit code to <paramref name="code"/> and returns its scale (max |v| / 127).</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> code)
    {
        float max = 0;
        foreach (float v in vector) max = Math.Max(max, Math.Abs(v));
        if (max <= 0 || !float.IsFinite(max))
        {
            code[..vector.Length].Clear();
            return 0;
        }
        float inverse = 127f / max;
        for (int i = 0; i < vector.Length; i++) code[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * inverse), -127, 127);
        return max / 127f;
    }

    /// <summary>The <paramref name="k"/> rows most similar (dot product) to <paramref name="query"/> by an exact scan, best
    /// first, over the rows not removed that <paramref name="include"/> accepts (all when null).</summary>
    public List<(int Row, float Score)> Exact(ReadOnlySpan<float> query, int k, Func<int, bool>? include = null)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"the query has {query.Length} values; this set holds {Dimensions}", nameof(query));
        var best = new TopK(k);
        const int Block = 256;
        Span<float> scores = stackalloc float[Block];
        for (int start = 0; start < Count; start += Block)
        {
            int n = Math.Min(Block, Count - start);
            VectorMath.DotRows(query, _values.AsSpan(start * Dimensions, n * Dimensions), Dimensions, 1f, scores[..n]);
            for (int i = 0; i < n; i++)
            {
                int row = start + i;
                if (_removed[row] || (include != null && !include(row))) continue;
                best.Offer(row, scores[i]);
            }
        }
        return best.Drain();
    }

    /// <summary>The <paramref name="k"/> rows most similar to <paramref name="query"/>, best first, by a scan of the 8-bit
    /// codes that keeps the best <paramref name="candidates"/> and reranks them on the full values: a quarter of the exact
    /// scan's memory traffic, approximate only where a true neighbour falls below the candidates' cut.</summary>
    public List<(int Row, float Score)> Scan(ReadOnlySpan<float> query, int k, int candidates, Func<int, bool>? include = null)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"the query has {query.Length} values; this set holds {Dimensions}", nameof(query));
        Span<sbyte> code = stackalloc sbyte[Dimensions];
        Quantize(query, code); // the query's scale is common to every row: it does not change the order
        var rough = new TopK(Math.Max(k, candidates));
        float threshold = float.NegativeInfinity;
        for (int row = 0; row < Count; row++)
        {
            float s = Int8Dot.Dot(code, _codes.AsSpan(row * Dimensions, Dimensions)) * _scales[row];
            if (s <= threshold || _removed[row] || (include != null && !include(row))) continue;
            rough.Offer(row, s);
            threshold = rough.Threshold;
        }
        var best = new TopK(k);
        foreach (var (row, _) in rough.Drain()) best.Offer(row, VectorMath.Dot(query, Vector(row)));
        return best.Drain();
    }

    private int Reserve()
    {
        if (Count == _ids.Length)
        {
            int capacity = checked(_ids.Length * 2);
            Array.Resize(ref _ids, capacity);
            Array.Resize(ref _values, checked(capacity * Dimensions));
            Array.Resize(ref _codes, checked(capacity * Dimensions));
            Array.Resize(ref _scales, capacity);
            Array.Resize(ref _removed, capacity);
        }
        return Count++;
    }
}
