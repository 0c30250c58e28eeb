namespace Wafer.Rag.Vectors;

/// <summary>The k best (row, score) pairs offered, kept in a min-heap; drained best first (ties: lower row first).</summary>
internal sealed class TopK(int k)
{
    private readonly PriorityQueue<int, (float Score, int Negated)> _heap = new(k + 1);

    public int Count => _heap.Count;

    /// <summary>The worst score kept, once k are kept (else −∞).</summary>
    public float Threshold => _heap.Count < k ? float.NegativeInfinity : _heap.TryPeek(out _, out var p) ? p.Score : float.NegativeInfinity;

    public void Offer(int row, float score)
    {
        if (_heap.Count < k) _heap.Enqueue(row, (score, -row));
        else if (score > Threshold) _heap.EnqueueDequeue(row, (score, -row));
    }

    public List<(int Row, float Score)> Drain()
    {
        var list = new List<(int, float)>(_heap.Count);
        while (_heap.TryDequeue(out int row, out var p)) list.Add((row, p.Score));
        list.Reverse();
        return list;
    }
}
