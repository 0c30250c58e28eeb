using System.Text;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Execution;

/// <summary>Turns a request's generated tokens into text, cutting at the first stop string and holding back
/// any tail that could still become one, so streamed text never shows part of a stop string.</summary>
internal sealed class OutputText(Tokenizer tokenizer, IReadOnlyList<string> stopStrings)
{
    private readonly IncrementalDecoder _decoder = tokenizer.CreateIncrementalDecoder();
    private readonly StringBuilder _pending = new();

    /// <summary>True once a stop string matched.</summary>
    public bool Stopped => StopString != null;

    /// <summary>The stop string that matched (the earliest in the text), or null.</summary>
    public string? StopString { get; private set; }

    /// <summary>Adds a token's text (<paramref name="silent"/>: a stop/end token whose text is not output) and returns what can be shown now.</summary>
    public string Append(int token, bool silent)
    {
        // Without stop strings nothing is ever held back: the decoder's text goes out as it is (no copy per token).
        if (stopStrings.Count == 0) return silent ? "" : _decoder.Append(token);
        if (Stopped) return "";
        string text = silent ? "" : _decoder.Append(token);
        // Nothing held back and nothing to hold back now: the decoder's text goes out as it is (the common case, no copy).
        if (_pending.Length == 0 && FirstStop(text, out _) < 0 && HeldBack(text) == 0) return text;
        _pending.Append(text);
        return Release(final: false);
    }

    /// <summary>Everything still held back (call when the generation ends for another reason).</summary>
    public string Finish()
    {
        if (stopStrings.Count == 0) return _decoder.Flush();
        if (!Stopped) _pending.Append(_decoder.Flush());
        return Release(final: true);
    }

    private string Release(bool final)
    {
        if (Stopped) return "";
        string text = _pending.ToString();
        int cut = FirstStop(text, out var matched);
        if (cut >= 0)
        {
            StopString = matched;
            _pending.Clear();
            return text[..cut];
        }
        int keep = final ? 0 : HeldBack(text);
        _pending.Remove(0, text.Length - keep);
        return text[..(text.Length - keep)];
    }

    /// <summary>Where the earliest stop string starts in <paramref name="text"/>, or −1.</summary>
    private int FirstStop(string text, out string? matched)
    {
        int cut = -1;
        matched = null;
        for (int i = 0; i < stopStrings.Count; i++) // by index: an interface foreach would allocate an enumerator per token
        {
            var stop = stopStrings[i];
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) (cut, matched) = (at, stop);
        }
        return cut;
    }

    /// <summary>Length of the longest tail of <paramref name="text"/> that is a proper prefix of a stop string.</summary>
    private int HeldBack(string text)
    {
        int keep = 0;
        for (int i = 0; i < stopStrings.Count; i++)
            for (int n = Math.Min(stopStrings[i].Length - 1, text.Length); n > keep; n--)
                if (text.AsSpan(text.Length - n).SequenceEqual(stopStrings[i].AsSpan(0, n)))
                {
                    keep = n;
                    break;
                }
        return keep;
    }
}
