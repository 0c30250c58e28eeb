namespace Wafer.Models.Inference;

/// <summary>A ragged batch for one forward pass: tokens of any number of sequences, each with its position.</summary>
public sealed class ForwardBatch
{
    private int[] _tokens = new int[16];
    private int[] _positions = new int[16];
    private int[] _sequenceIds = new int[16];
    private bool[] _wantLogits = new bool[16];

    /// <summary>Entries in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>Entries whose logits the caller wants.</summary>
    public int OutputCount { get; private set; }

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Count);
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Count);
    public ReadOnlySpan<int> SequenceIds => _sequenceIds.AsSpan(0, Count);
    public ReadOnlySpan<bool> WantLogits => _wantLogits.AsSpan(0, Count);

    /// <summary>Appends one token; logits come back in the order of the entries added with <paramref name="wantLogits"/>.</summary>
    public void Add(int token, int position, int sequenceId, bool wantLogits)
    {
        if (Count == _tokens.Length)
        {
            int n = Count * 2;
            Array.Resize(ref _tokens, n);
            Array.Resize(ref _positions, n);
            Array.Resize(ref _sequenceIds, n);
            Array.Resize(ref _wantLogits, n);
        }
        _tokens[Count] = token;
        _positions[Count] = position;
        _sequenceIds[Count] = sequenceId;
        _wantLogits[Count] = wantLogits;
        Count++;
        if (wantLogits) OutputCount++;
    }

    /// <summary>Empties the batch, keeping its buffers.</summary>
    public void Clear()
    {
        Count = 0;
        OutputCount = 0;
    }
}
