using System.Text;

namespace Wafer.Engine.Chat;

/// <summary>Splits a thinking model's streamed text into its reasoning (inside the first <c>&lt;think&gt;…&lt;/think&gt;</c>) and
/// its answer, as llama-server's <c>--reasoning-format deepseek</c> does; a tag split across pieces is held back until it is whole.</summary>
/// <remarks>When the prompt already opened the block (templates whose generation prompt ends in <c>&lt;think&gt;</c>), the
/// text starts inside it. Only the first block is reasoning; text after it is the answer even if it holds the tags again.
/// The whitespace right after <c>&lt;/think&gt;</c> is dropped, so the answer starts with its first word.</remarks>
public sealed class ReasoningSplitter(bool startsInside)
{
    private const string Open = "<think>", Close = "</think>";
    private readonly StringBuilder _pending = new();
    private int _state = startsInside ? Inside : Before; // before the block, inside it, after it
    private const int Before = 0, Inside = 1, After = 2;
    private bool _trimAnswerStart;

    /// <summary>Adds a piece of text; returns what is now known to be reasoning and answer.</summary>
    public (string Reasoning, string Content) Push(string text) => Split(text, final: false);

    /// <summary>Everything still held back.</summary>
    public (string Reasoning, string Content) Flush() => Split("", final: true);

    private (string, string) Split(string text, bool final)
    {
        _pending.Append(text);
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        while (_pending.Length > 0)
        {
            string s = _pending.ToString();
            if (_state == After)
            {
                _pending.Clear();
                if (_trimAnswerStart)
                {
                    s = s.TrimStart();
                    if (s.Length == 0 && !final) break;
                    _trimAnswerStart = false;
                }
                content.Append(s);
                break;
            }
            if (_state == Before)
            {
                string t = s.TrimStart();
                if (t.StartsWith(Open, StringComparison.Ordinal))
                {
                    _pending.Clear().Append(t[Open.Length..]);
                    _state = Inside;
                    continue;
                }
                if (!final && Open.StartsWith(t, StringComparison.Ordinal)) break; // maybe the tag, not whole yet
                _state = After; // the model answered without thinking
                continue;
            }
            int close = s.IndexOf(Close, StringComparison.Ordinal);
            if (close >= 0)
            {
                reasoning.Append(s, 0, close);
                _pending.Clear().Append(s[(close + Close.Length)..]);
                _state = After;
                _trimAnswerStart = true;
                continue;
            }
            int keep = final ? 0 : HeldBack(s);
            reasoning.Append(s, 0, s.Length - keep);
            _pending.Remove(0, s.Length - keep);
            break;
        }
        return (reasoning.ToString(), content.ToString());
    }

    // The longest tail of s that is a proper prefix of the closing tag.
    private static int HeldBack(string s)
    {
        for (int n = Math.Min(Close.Length - 1, s.Length); n > 0; n--)
            if (s.AsSpan(s.Length - n).SequenceEqual(Close.AsSpan(0, n))) return n;
        return 0;
    }
}
