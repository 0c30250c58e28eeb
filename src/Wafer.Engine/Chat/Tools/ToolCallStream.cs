using System.Text;
using System.Text.Json;

namespace Wafer.Engine.Chat.Tools;

/// <summary>What a streamed answer with tools is made of, as it arrives: answer text, the start of a call (its index, id
/// and function name) and fragments of a call's arguments (JSON text, in order).</summary>
public enum ToolStreamKind
{
    /// <summary>Answer text (<see cref="ToolStreamDelta.Text"/>).</summary>
    Content,
    /// <summary>A call opens: <see cref="ToolStreamDelta.Index"/>, <see cref="ToolStreamDelta.Id"/> and the function name in <see cref="ToolStreamDelta.Text"/>.</summary>
    CallStart,
    /// <summary>The next piece of call <see cref="ToolStreamDelta.Index"/>'s arguments JSON (<see cref="ToolStreamDelta.Text"/>).</summary>
    Arguments,
}

/// <summary>One piece of a streamed answer with tools.</summary>
public readonly record struct ToolStreamDelta(ToolStreamKind Kind, int Index, string Text, string? Id = null);

/// <summary>Reads a model's answer in a tool-call format as it streams and yields content, call starts and argument
/// fragments as soon as they are certain: text that may still open a call is held back, a call is announced once its
/// function name is known to be one of the tools, and its arguments object is passed on character by character (the
/// fragments concatenate to the same JSON that <see cref="ToolCallFormat.Parse"/> returns for the whole text).</summary>
/// <remarks>
/// A call that turns out malformed before it was announced (not JSON, an unknown function, no arguments) leaves its text as
/// content, and so does everything after it. Once announced, a call cannot be taken back: under a tool grammar (forced
/// calls, and auto once a call opens) a call cannot be malformed, only cut short by max_tokens. Whitespace-only content is
/// held until more content follows; when the answer made calls, the whitespace around them is dropped (as the whole-text
/// parser trims it). Not thread-safe: one per streamed response.
/// </remarks>
public sealed class ToolCallStreamParser
{
    private enum Mode { Start, Prose, ProseForever, Literal, BeforeCall, Call, AfterCall }
    private enum Phase { ExpectKey, InKey, ExpectColon, ExpectValue, InValue, AfterValue }

    private readonly ToolCallFormat _format;
    private readonly bool _incremental;
    private readonly HashSet<string> _names;
    private readonly string? _marker;          // the text that opens calls, for formats that have one
    private Mode _mode;
    private string _literal = "";              // Literal mode: what must come next (whitespace may precede it)
    private int _literalAt;
    private int _markerMatched;                         // Prose: how much of the marker the text ends with
    private readonly StringBuilder _held = new();       // text since the current call region opened, not yet committed
    private readonly StringBuilder _content = new();    // content of this push, not yet emitted
    private readonly StringBuilder _fragment = new();   // arguments of this push, not yet emitted
    private string _pendingSpace = "";                  // whitespace-only content, held
    private int _calls;                                 // calls announced
    private bool _inCall;

    // The call object being read.
    private Phase _phase;
    private int _depth;                  // nesting inside the current value (objects and arrays), 0 at the call's own level
    private bool _inString, _escape;
    private readonly StringBuilder _token = new();   // the key, or the current value's raw text
    private string _key = "";
    private char _valueStart;
    private string? _name;
    private bool _announced, _argsSeen, _argsStreaming;
    private string? _argsHeld;           // arguments read before the name

    /// <summary>A parser for answers in <paramref name="format"/> that may call <paramref name="tools"/>. With
    /// <paramref name="incremental"/> (the calls are grammar-constrained, so they cannot turn out malformed) a call is announced
    /// at its name and its arguments pass on as they come; without, each call is held until it is whole and its arguments
    /// parse, then announced with all of them.</summary>
    public ToolCallStreamParser(ToolCallFormat format, IReadOnlyList<ToolDefinition> tools, bool incremental)
    {
        _incremental = incremental;
        _format = format;
        _names = tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        _marker = format.Name switch { "hermes" => "<tool_call>", "mistral" => "[TOOL_CALLS]", _ => null };
        _mode = _marker != null ? Mode.Prose : Mode.Start;
    }

    /// <summary>Calls announced so far.</summary>
    public int CallCount => _calls;

    /// <summary>True while a call is announced but its arguments have not ended (the answer was cut inside it).</summary>
    public bool InsideCall => _inCall && _announced;

    /// <summary>Reads the next piece of the answer and adds what became certain to <paramref name="output"/>.</summary>
    public void Push(string text, List<ToolStreamDelta> output)
    {
        foreach (char c in text) Step(c, output);
        FlushContent(output);
        FlushFragment(output);
    }

    /// <summary>The answer ended: everything held that is not part of an announced call becomes content.</summary>
    public void Finish(List<ToolStreamDelta> output)
    {
        if (_mode == Mode.Prose) Content(_marker.AsSpan(0, _markerMatched));
        if (_held.Length > 0 && !_announced) Content(_held.ToString());
        _held.Clear();
        _markerMatched = 0;
        _mode = Mode.ProseForever;
        if (_calls == 0 && _pendingSpace.Length > 0) _content.Append(_pendingSpace);
        _pendingSpace = "";
        FlushContent(output, final: true);
        FlushFragment(output);
    }

    private void Step(char c, List<ToolStreamDelta> output)
    {
        switch (_mode)
        {
            case Mode.ProseForever:
                Content(c);
                return;
            case Mode.Prose:
                // The markers (<tool_call>, [TOOL_CALLS]) open with a character they hold nowhere else, so a failed partial
                // match is all content and the search restarts at the current character.
                if (c == _marker![_markerMatched])
                {
                    if (++_markerMatched < _marker.Length) return;
                    _markerMatched = 0;
                    _held.Clear().Append(_marker);
                    if (_format.Name == "mistral") Expect(Mode.BeforeCall, "[");
                    else _mode = Mode.BeforeCall;
                    return;
                }
                if (_markerMatched > 0) Content(_marker.AsSpan(0, _markerMatched));
                _markerMatched = c == _marker[0] ? 1 : 0;
                if (_markerMatched == 0) Content(c);
                return;
            case Mode.Start:
                _held.Append(c);
                if (char.IsWhiteSpace(c)) return;
                if (c != '{')
                {
                    Broken();
                    return;
                }
                if (_format.Name == "llama3") BeginCall();
                else Expect(Mode.BeforeCall, "\"tool_calls\"", ":", "[");
                return;
            case Mode.Literal:
                _held.Append(c);
                if (_literalAt == 0 && char.IsWhiteSpace(c)) return;
                if (c != _literal[_literalAt])
                {
                    Broken();
                    return;
                }
                if (++_literalAt == _literal.Length) NextLiteral();
                return;
            case Mode.BeforeCall:
                _held.Append(c);
                if (char.IsWhiteSpace(c)) return;
                if (c == '{') BeginCall();
                else Broken();
                return;
            case Mode.AfterCall:
                _held.Append(c);
                if (char.IsWhiteSpace(c)) return;
                if (_format.Name is "mistral" or "generic" && c == ',') _mode = Mode.BeforeCall;
                else if (_format.Name == "mistral" && c == ']') { _held.Clear(); _mode = Mode.ProseForever; }
                else if (_format.Name == "generic" && c == ']') Expect(Mode.ProseForever, "}");
                else Broken();
                return;
            case Mode.Call:
                CallChar(c, output);
                return;
        }
    }

    // What must come next, literal by literal (whitespace may precede each), then the mode after them.
    private readonly Queue<string> _literals = new();
    private Mode _chainEnd;

    private void Expect(Mode end, params string[] literals)
    {
        _literals.Clear();
        foreach (var l in literals.Skip(1)) _literals.Enqueue(l);
        _literal = literals[0];
        _literalAt = 0;
        _chainEnd = end;
        _mode = Mode.Literal;
    }

    private void NextLiteral()
    {
        if (_literals.Count > 0)
        {
            _literal = _literals.Dequeue();
            _literalAt = 0;
            return;
        }
        _mode = _chainEnd;
        if (_mode is Mode.Prose or Mode.ProseForever) _held.Clear(); // the calls' closing text: not content
    }

    private void BeginCall()
    {
        _mode = Mode.Call;
        _inCall = true;
        _phase = Phase.ExpectKey;
        _depth = 0;
        _inString = _escape = false;
        _name = null;
        _announced = _argsSeen = _argsStreaming = false;
        _argsHeld = null;
    }

    private void CallChar(char c, List<ToolStreamDelta> output)
    {
        if (!_announced) _held.Append(c);
        CallStep(c, output);
    }

    private void CallStep(char c, List<ToolStreamDelta> output)
    {
        switch (_phase)
        {
            case Phase.ExpectKey:
                if (char.IsWhiteSpace(c)) return;
                if (c == '"') { _token.Clear(); _phase = Phase.InKey; }
                else if (c == '}') EndCall(output);
                else Broken();
                return;
            case Phase.InKey:
                if (_escape) { _escape = false; _token.Append(c); return; }
                if (c == '\\') { _escape = true; _token.Append(c); return; }
                if (c != '"') { _token.Append(c); return; }
                _key = Unescape(_token.ToString()) ?? "";
                _phase = Phase.ExpectColon;
                return;
            case Phase.ExpectColon:
                if (char.IsWhiteSpace(c)) return;
                if (c == ':') _phase = Phase.ExpectValue;
                else Broken();
                return;
            case Phase.ExpectValue:
                if (char.IsWhiteSpace(c)) return;
                _token.Clear().Append(c);
                _valueStart = c;
                _depth = c is '{' or '[' ? 1 : 0;
                _inString = c == '"';
                _escape = false;
                _phase = Phase.InValue;
                if (IsArguments && _valueStart == '{' && _announced)
                {
                    _argsStreaming = true;
                    _fragment.Append(c);
                }
                return;
            case Phase.InValue:
                ValueChar(c, output);
                return;
            case Phase.AfterValue:
                if (char.IsWhiteSpace(c)) return;
                if (c == ',') _phase = Phase.ExpectKey;
                else if (c == '}') EndCall(output);
                else Broken();
                return;
        }
    }

    private bool IsArguments => _key == _format.ArgumentsKey || _key == "arguments";

    private void ValueChar(char c, List<ToolStreamDelta> output)
    {
        bool container = _valueStart is '{' or '[';
        if (!container && _valueStart != '"' && (char.IsWhiteSpace(c) || c is ',' or '}'))
        {
            ValueDone(output);          // a scalar ends at the character after it, which belongs to the object
            if (_mode == Mode.Call) CallStep(c, output);
            return;
        }
        _token.Append(c);
        if (_argsStreaming) _fragment.Append(c);
        if (_inString)
        {
            if (_escape) _escape = false;
            else if (c == '\\') _escape = true;
            else if (c == '"')
            {
                _inString = false;
                if (!container) ValueDone(output);
            }
            return;
        }
        if (c == '"') _inString = true;
        else if (c is '{' or '[') _depth++;
        else if (c is '}' or ']' && --_depth == 0) ValueDone(output);
    }

    private void ValueDone(List<ToolStreamDelta> output)
    {
        _phase = Phase.AfterValue;
        string raw = _token.ToString();
        if (_key == "name" && _name == null)
        {
            _name = _valueStart == '"' ? Unescape(raw[1..^1]) : null;
            if (_name == null || !_names.Contains(_name))
            {
                Broken();
                return;
            }
            if (!_incremental) return;
            Announce(output);
            if (_argsHeld != null) _fragment.Append(_argsHeld);
            _argsHeld = null;
            return;
        }
        if (!IsArguments || _argsSeen) return;
        _argsSeen = true;
        if (_argsStreaming)
        {
            _argsStreaming = false;
            return;
        }
        string arguments = _valueStart == '"' ? Unescape(raw[1..^1]) ?? raw : raw;
        if (_announced) _fragment.Append(arguments);
        else _argsHeld = arguments;
    }

    private void Announce(List<ToolStreamDelta> output)
    {
        FlushContent(output);
        _held.Clear();
        _announced = true;
        output.Add(new ToolStreamDelta(ToolStreamKind.CallStart, _calls++, _name!, "call_" + Guid.NewGuid().ToString("N")[..24]));
    }

    private void EndCall(List<ToolStreamDelta> output)
    {
        if (!_announced && _name != null && _argsSeen && IsJson(_argsHeld!))
        {
            Announce(output);
            _fragment.Append(_argsHeld);
            _argsHeld = null;
        }
        if (!_announced || !_argsSeen)
        {
            if (_announced) _fragment.Append("{}"); // announced with no arguments: cannot be taken back; say it has none
            else
            {
                Broken();
                return;
            }
        }
        FlushFragment(output);
        _inCall = false;
        _held.Clear();
        if (_format.Name == "hermes") Expect(Mode.Prose, "</tool_call>");
        else if (_format.Name == "llama3") _mode = Mode.ProseForever;
        else _mode = Mode.AfterCall;
    }

    // The text since the call region opened was not a call: it is content, and so is the rest of the answer.
    private void Broken()
    {
        if (!(_inCall && _announced)) Content(_held.ToString());
        _held.Clear();
        _inCall = false;
        _mode = Mode.ProseForever;
    }

    private void Content(char c) => _content.Append(c);

    private void Content(string s) => _content.Append(s);

    private void Content(ReadOnlySpan<char> s) => _content.Append(s);

    // Content goes out as it comes, except trailing whitespace: that waits for more content (and is dropped at the end of
    // an answer that made calls, as the whole-text parser trims the text around calls).
    private void FlushContent(List<ToolStreamDelta> output, bool final = false)
    {
        if (_content.Length == 0) return;
        string text = _pendingSpace + _content.ToString();
        _content.Clear();
        int body = final && _calls == 0 ? text.Length : text.TrimEnd().Length;
        _pendingSpace = final ? "" : text[body..];
        if (body == 0) return;
        output.Add(new ToolStreamDelta(ToolStreamKind.Content, 0, text[..body]));
    }

    private void FlushFragment(List<ToolStreamDelta> output)
    {
        if (_fragment.Length == 0) return;
        output.Add(new ToolStreamDelta(ToolStreamKind.Arguments, _calls - 1, _fragment.ToString()));
        _fragment.Clear();
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Unescape(string inner)
    {
        try
        {
            return JsonSerializer.Deserialize<string>("\"" + inner + "\"");
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
