namespace Wafer.Rag.Ingestion;

/// <summary>One chunk of a document: its text, the heading it sits under, and where it is in the document's text.</summary>
public sealed record Chunk(string Text, string? Heading, int Start, int End);

/// <summary>Splits a document's text by its structure into chunks of at most a token budget: blocks (paragraphs, separated by
/// blank lines) are packed in order; a Markdown heading ends the chunk before it and labels those after it; a block over the
/// budget is cut at sentence ends, else at words; each chunk after the first starts with the previous chunk's last block when
/// that block fits in a quarter of the budget (the overlap), so a sentence at a boundary is found from either side.</summary>
public static class Chunker
{
    public static List<Chunk> Split(string text, int budget, Func<string, int> countTokens)
    {
        if (budget < 8) throw new ArgumentOutOfRangeException(nameof(budget), "a chunk budget of fewer than 8 tokens leaves no room for text");
        var chunks = new List<Chunk>();
        var current = new List<(string Text, int Start, int End, int Tokens)>();
        int tokens = 0, carried = 0;      // carried: leading blocks repeated from the previous chunk (the overlap)
        string? heading = null, chunkHeading = null;
        void Flush(bool overlap)
        {
            if (current.Count > carried)
                chunks.Add(new Chunk(string.Join("\n\n", current.Select(b => b.Text)), chunkHeading, current[0].Start, current[^1].End));
            var last = current.Count > 0 ? current[^1] : default;
            current.Clear();
            tokens = carried = 0;
            if (overlap && last.Text != null && last.Tokens <= budget / 4 && !last.Text.StartsWith('#'))
            {
                current.Add(last);
                tokens = last.Tokens;
                carried = 1;
            }
        }
        foreach (var block in Blocks(text, budget, countTokens))
        {
            if (block.Text.StartsWith('#'))
            {
                Flush(overlap: false); // a section starts afresh
                heading = block.Text.TrimStart('#').Trim();
            }
            else if (current.Count > carried && tokens + block.Tokens > budget)
            {
                Flush(overlap: true);
            }
            if (carried > 0 && tokens + block.Tokens > budget)
            {
                current.Clear(); // no room for the overlap beside this block
                tokens = carried = 0;
            }
            if (current.Count == carried) chunkHeading = heading;
            current.Add(block);
            tokens += block.Tokens;
        }
        Flush(overlap: false);
        return chunks;
    }

    // The paragraphs with their spans; those over the budget cut into pieces that fit.
    private static List<(string Text, int Start, int End, int Tokens)> Blocks(string text, int budget, Func<string, int> countTokens)
    {
        var blocks = new List<(string, int, int, int)>();
        int at = 0;
        while (at < text.Length)
        {
            int end = text.IndexOf("\n\n", at, StringComparison.Ordinal);
            if (end < 0) end = text.Length;
            // A heading line is a block of its own even without a blank line after it.
            int line = text.IndexOf('\n', at);
            if (line >= 0 && line < end && text[at] == '#') end = line;
            string raw = text[at..end];
            string trimmed = raw.Trim();
            if (trimmed.Length > 0)
            {
                int start = at + raw.IndexOf(trimmed[0]);
                foreach (var (piece, offset) in Fit(trimmed, budget, countTokens))
                    blocks.Add((piece, start + offset, start + offset + piece.Length, countTokens(piece)));
            }
            at = end + (end < text.Length && text[end] == '\n' ? (end + 1 < text.Length && text[end + 1] == '\n' ? 2 : 1) : 0);
            if (end == text.Length) break;
        }
        return blocks;
    }

    private static IEnumerable<(string Piece, int Offset)> Fit(string block, int budget, Func<string, int> countTokens)
    {
        if (countTokens(block) <= budget)
        {
            yield return (block, 0);
            yield break;
        }
        // Sentence ends first, then words: greedy, in order, keeping offsets.
        var parts = System.Text.RegularExpressions.Regex.Matches(block, @"[^.!?]+[.!?]*\s*").Select(m => (m.Value, m.Index)).ToList();
        if (parts.Any(p => countTokens(p.Value) > budget))
            parts = System.Text.RegularExpressions.Regex.Matches(block, @"\S+\s*").Select(m => (m.Value, m.Index)).ToList();
        // A piece's tokens are the sum of its parts' (each counted once, less the special tokens every count includes): the
        // parts end at whitespace, where a tokenizer's pre-split falls, so the sum is the piece's count without re-counting
        // the growing piece for every word (which made a long block quadratic).
        int special = countTokens("");
        int start = 0, pieceTokens = 0;
        var piece = new System.Text.StringBuilder();
        foreach (var (value, index) in parts)
        {
            int partTokens = Math.Max(0, countTokens(value) - special);
            if (piece.Length > 0 && pieceTokens + partTokens + special > budget)
            {
                yield return (piece.ToString().TrimEnd(), start);
                piece.Clear();
                pieceTokens = 0;
            }
            if (piece.Length == 0) start = index;
            piece.Append(value);
            pieceTokens += partTokens;
        }
        if (piece.Length > 0) yield return (piece.ToString().TrimEnd(), start);
    }
}
