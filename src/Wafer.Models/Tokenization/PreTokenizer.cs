using System.Text;

namespace Wafer.Models.Tokenization;

/// <summary>Splits text into words before BPE merging: a chain of regexes, each refining the previous split (llama.cpp's <c>unicode_regex_split</c>).</summary>
/// <remarks>
/// The GPT-2 and Llama-3 regexes use llama.cpp's hand-written splitters (selected, as there, by
/// the exact pattern text); any other regex runs through <see cref="RegexSplitter"/>.
/// </remarks>
internal sealed class PreTokenizer
{
    private abstract record Step;
    private sealed record Gpt2Step : Step;
    private sealed record Llama3Step : Step;
    private sealed record RegexStep(RegexSplitter Splitter) : Step;

    private readonly Step[] _steps;
    private readonly bool _byteEncode;

    public PreTokenizer(IReadOnlyList<string> patterns, bool byteEncode)
    {
        _steps = [.. patterns.Select(Compile)];
        _byteEncode = byteEncode;
    }

    /// <summary>The words of a text, each spelled in the vocabulary's alphabet (byte-level characters when byte-encoding).</summary>
    public List<string> Split(string text)
    {
        int[] codepoints = Codepoints.FromString(text);
        var words = new List<string>();
        if (codepoints.Length == 0) return words;
        string? collapsed = null, wide = null;
        var segments = new List<int> { codepoints.Length };
        foreach (var step in _steps)
        {
            segments = step switch
            {
                Gpt2Step => SplitEach(codepoints, segments, Gpt2Splitter.Split),
                Llama3Step => SplitEach(codepoints, segments, Llama3Splitter.Split),
                RegexStep r => r.Splitter.Split(r.Splitter.UsesCategories
                    ? collapsed ??= RegexSplitter.CollapsedText(codepoints)
                    : wide ??= RegexSplitter.WideText(codepoints), segments),
                _ => throw new InvalidOperationException("unknown pre-tokenizer step"),
            };
        }
        int start = 0;
        foreach (int length in segments)
        {
            string word = Codepoints.ToString(codepoints.AsSpan(start, length));
            words.Add(_byteEncode ? ByteLevelEncoding.Encode(Encoding.UTF8.GetBytes(word)) : word);
            start += length;
        }
        return words;
    }

    private delegate void SegmentSplit(ReadOnlySpan<int> codepoints, int start, int length, List<int> lengths);

    private static List<int> SplitEach(int[] codepoints, List<int> segments, SegmentSplit split)
    {
        var result = new List<int>(segments.Count * 2);
        int start = 0;
        foreach (int length in segments)
        {
            split(codepoints, start, length, result);
            start += length;
        }
        return result;
    }

    private static Step Compile(string pattern) => pattern switch
    {
        PreTokenizerPatterns.Gpt2 => new Gpt2Step(),
        PreTokenizerPatterns.Llama3 or PreTokenizerPatterns.Llama3CaseInsensitive => new Llama3Step(),
        _ => new RegexStep(new RegexSplitter(pattern)),
    };
}
