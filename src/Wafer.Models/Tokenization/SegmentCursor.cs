namespace Wafer.Models.Tokenization;

/// <summary>Reads one segment of a codepoint array for the hand-written pre-tokenizers; positions outside the segment read as "no character".</summary>
internal ref struct SegmentCursor
{
    public const int OutOfRange = -1;

    private readonly ReadOnlySpan<int> _codepoints;
    private readonly int _start;
    private readonly int _end;
    private readonly List<int> _lengths;
    private int _previousEnd;

    public SegmentCursor(ReadOnlySpan<int> codepoints, int start, int length, List<int> lengths)
    {
        _codepoints = codepoints;
        _start = start;
        _end = start + length;
        _lengths = lengths;
        _previousEnd = start;
    }

    public readonly int End => _end;

    public readonly int At(int position) => position >= _start && position < _end ? _codepoints[position] : OutOfRange;

    public readonly CodepointFlags FlagsAt(int position) =>
        position >= _start && position < _end ? Codepoints.Flags(_codepoints[position]) : CodepointFlags.None;

    /// <summary>Ends the current word at <paramref name="end"/>; returns its length (0 adds nothing).</summary>
    public int AddWord(int end)
    {
        int length = end - _previousEnd;
        if (length > 0) _lengths.Add(length);
        _previousEnd = end;
        return length;
    }
}
