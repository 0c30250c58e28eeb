using System.Text;
using System.Text.Json;
using Wafer.Engine.Requests;
using Wafer.Models.Constraints;

namespace Wafer.Engine.Chat.Tools;

/// <summary>How a model writes tool calls, as its chat template teaches it: Hermes/Qwen <c>&lt;tool_call&gt;{…}&lt;/tool_call&gt;</c>,
/// Mistral <c>[TOOL_CALLS] [{…}]</c>, Llama 3.x's bare <c>{"name": …, "parameters": {…}}</c>, or a generic
/// <c>{"tool_calls": [{"name": …, "arguments": {…}}]}</c> for templates that name no format.</summary>
/// <remarks>Each format parses a model's text back into calls (<see cref="Parse"/>: text that is not a well-formed call stays
/// content) and builds the grammar that forces valid calls (<see cref="Grammar"/>: for <c>tool_choice</c> <c>required</c> or a
/// named function; each call's arguments follow that function's parameter schema through <see cref="JsonSchemaGrammar"/>).</remarks>
public sealed class ToolCallFormat
{
    private ToolCallFormat(string name, string argumentsKey) => (Name, ArgumentsKey) = (name, argumentsKey);

    /// <summary>Hermes 2 Pro / Qwen 2.5 / Qwen 3: one <c>&lt;tool_call&gt;</c> element per call.</summary>
    public static ToolCallFormat Hermes { get; } = new("hermes", "arguments");

    /// <summary>Mistral: <c>[TOOL_CALLS]</c> then a JSON array of calls.</summary>
    public static ToolCallFormat Mistral { get; } = new("mistral", "arguments");

    /// <summary>Llama 3.1–3.3: the whole answer is one JSON object with <c>name</c> and <c>parameters</c>.</summary>
    public static ToolCallFormat Llama3 { get; } = new("llama3", "parameters");

    /// <summary>Any other template: a JSON object with a <c>tool_calls</c> array.</summary>
    public static ToolCallFormat Generic { get; } = new("generic", "arguments");

    /// <summary>The format's name (hermes, mistral, llama3, generic).</summary>
    public string Name { get; }

    /// <summary>The key of a call's arguments object.</summary>
    public string ArgumentsKey { get; }

    /// <summary>The format a chat template's source teaches.</summary>
    public static ToolCallFormat Detect(string templateSource)
    {
        if (templateSource.Contains("<tool_call>", StringComparison.Ordinal)) return Hermes;
        if (templateSource.Contains("[TOOL_CALLS]", StringComparison.Ordinal)) return Mistral;
        if (templateSource.Contains("\"parameters\": dictionary of argument name", StringComparison.Ordinal)) return Llama3;
        return Generic;
    }

    /// <summary>Instructions for templates that do not describe tools themselves (the generic format): appended to the system prompt.</summary>
    public string Instructions(IReadOnlyList<ToolDefinition> tools)
    {
        var sb = new StringBuilder("You can call these functions. To call them, answer only with JSON {\"tool_calls\": [{\"name\": …, \"arguments\": {…}}]}:\n");
        foreach (var t in tools)
            sb.Append(JsonSerializer.Serialize(new { name = t.Name, description = t.Description, parameters = t.Parameters })).Append('\n');
        return sb.ToString();
    }

    /// <summary>GBNF whose sentences are one call (or, with <paramref name="parallel"/>, one or more) of <paramref name="tools"/> in this format.</summary>
    public string Grammar(IReadOnlyList<ToolDefinition> tools, bool parallel)
    {
        string root = Name switch
        {
            "hermes" => parallel ? "root ::= element (\"\\n\" element)*\nelement ::= \"<tool_call>\\n\" call \"\\n</tool_call>\"\n" : "root ::= \"<tool_call>\\n\" call \"\\n</tool_call>\"\n",
            "mistral" => parallel ? "root ::= \"[TOOL_CALLS]\" space \"[\" space call (\",\" space call)* \"]\" space\n" : "root ::= \"[TOOL_CALLS]\" space \"[\" space call \"]\" space\n",
            "llama3" => "root ::= call\n",
            _ => parallel ? "root ::= \"{\" space \"\\\"tool_calls\\\"\" space \":\" space \"[\" space call (\",\" space call)* \"]\" space \"}\" space\n"
                : "root ::= \"{\" space \"\\\"tool_calls\\\"\" space \":\" space \"[\" space call \"]\" space \"}\" space\n",
        };
        return root + CallRules(tools);
    }

    /// <summary>For <c>tool_choice</c> auto: the text that opens a call in this format and the grammar from there to the end
    /// of the calls. For Hermes and Mistral the trigger is a marker and the grammar follows it; for Llama 3 (<c>{"name"</c>)
    /// and the generic form (<c>{"tool_calls"</c>) the trigger is the start of the call's JSON and the grammar includes it
    /// (<c>TriggerStartsSentence</c>).</summary>
    public (string Trigger, string Gbnf, bool TriggerStartsSentence) LazyGrammar(IReadOnlyList<ToolDefinition> tools, bool parallel) => Name switch
    {
        "hermes" => ("<tool_call>", (parallel
            ? "root ::= space call space \"</tool_call>\" (space \"<tool_call>\" space call space \"</tool_call>\")* space\n"
            : "root ::= space call space \"</tool_call>\" space\n") + CallRules(tools), false),
        "mistral" => ("[TOOL_CALLS]", (parallel
            ? "root ::= space \"[\" space call (\",\" space call)* \"]\" space\n"
            : "root ::= space \"[\" space call \"]\" space\n") + CallRules(tools), false),
        "llama3" => ("{\"name\"", Grammar(tools, parallel), true),
        _ => ("{\"tool_calls\"", Grammar(tools, parallel), true),
    };

    /// <summary><paramref name="request"/> with the grammar its tools put on the output: a forced call (tool_choice required or
    /// a named function) from the first token; for auto, lazily once a call opens (formats with a marker), unless the request
    /// already has a grammar of its own. <paramref name="allowed"/> are the tools the call may use.</summary>
    /// <exception cref="GrammarException">A tool's parameter schema cannot be turned into a grammar.</exception>
    public GenerationRequest Constrain(GenerationRequest request, IReadOnlyList<ToolDefinition> allowed, bool forced, bool parallel)
    {
        if (forced) return request with { Grammar = Models.Constraints.Grammar.Parse(Grammar(allowed, parallel)), GrammarTrigger = null };
        if (request.Grammar != null) return request;
        var (trigger, lazy, starts) = LazyGrammar(allowed, parallel);
        return request with { Grammar = Models.Constraints.Grammar.Parse(lazy), GrammarTrigger = trigger, GrammarTriggerStartsSentence = starts };
    }

    /// <summary>Puts <paramref name="instructions"/> (see <see cref="Instructions"/>) at the start of the system message of
    /// <paramref name="messages"/> (template-shaped dictionaries), adding one when there is none.</summary>
    public static void AddInstructions(List<Dictionary<string, object?>> messages, string instructions)
    {
        if (messages.Count > 0 && messages[0]["role"] as string == "system") messages[0]["content"] = instructions + "\n" + messages[0]["content"];
        else messages.Insert(0, new Dictionary<string, object?> { ["role"] = "system", ["content"] = instructions });
    }

    // The rules of "a call of any of these tools" (start rule 'call'): one JSON schema, turned into GBNF.
    private string CallRules(IReadOnlyList<ToolDefinition> tools)
    {
        var alternatives = tools.Select(t => new Dictionary<string, object>
        {
            ["type"] = "object",
            ["properties"] = new Dictionary<string, object> { ["name"] = new { @const = t.Name }, [ArgumentsKey] = t.Parameters },
            ["required"] = new[] { "name", ArgumentsKey },
            ["additionalProperties"] = false,
        }).ToArray();
        using var schema = JsonDocument.Parse(JsonSerializer.Serialize(new { anyOf = alternatives }));
        return JsonSchemaGrammar.ToGbnf(schema.RootElement).Replace("root ::= ", "call ::= ", StringComparison.Ordinal);
    }

    /// <summary>The calls in <paramref name="text"/> and what is left as content. Malformed calls (an unclosed tag, invalid
    /// JSON, an unknown function) leave the whole text as content and no calls.</summary>
    public (string? Content, IReadOnlyList<ToolCall> Calls) Parse(string text, IReadOnlyList<ToolDefinition> tools)
    {
        var names = tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var calls = new List<ToolCall>();
        string content = text;
        bool ok = Name switch
        {
            "hermes" => ParseHermes(text, calls, out content),
            "mistral" => ParseJsonAfter(text, "[TOOL_CALLS]", calls, out content),
            "llama3" => ParseBareObject(text, calls, out content),
            _ => ParseGeneric(text, calls, out content),
        };
        if (!ok || calls.Count == 0 || calls.Any(c => !names.Contains(c.Name))) return (text, []);
        return (content.Trim().Length == 0 ? null : content.Trim(), calls);
    }

    private bool ParseHermes(string text, List<ToolCall> calls, out string content)
    {
        var rest = new StringBuilder();
        int at = 0;
        while (true)
        {
            int open = text.IndexOf("<tool_call>", at, StringComparison.Ordinal);
            if (open < 0) { rest.Append(text, at, text.Length - at); break; }
            rest.Append(text, at, open - at);
            int close = text.IndexOf("</tool_call>", open, StringComparison.Ordinal);
            if (close < 0) { content = text; return false; }
            if (!AddCall(text[(open + "<tool_call>".Length)..close], calls)) { content = text; return false; }
            at = close + "</tool_call>".Length;
        }
        content = rest.ToString();
        return true;
    }

    private bool ParseJsonAfter(string text, string marker, List<ToolCall> calls, out string content)
    {
        content = text;
        int at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return false;
        try
        {
            using var doc = JsonDocument.Parse(text[(at + marker.Length)..]);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return false;
            foreach (var c in doc.RootElement.EnumerateArray())
                if (!AddCall(c, calls)) return false;
        }
        catch (JsonException)
        {
            return false;
        }
        content = text[..at];
        return true;
    }

    private bool ParseBareObject(string text, List<ToolCall> calls, out string content)
    {
        content = text;
        string trimmed = text.Trim();
        if (!trimmed.StartsWith('{')) return false;
        if (!AddCall(trimmed, calls)) return false;
        content = "";
        return true;
    }

    private bool ParseGeneric(string text, List<ToolCall> calls, out string content)
    {
        content = text;
        string trimmed = text.Trim();
        if (!trimmed.StartsWith('{')) return false;
        try
        {
            using var doc = JsonDocument.Parse(trimmed);
            if (!doc.RootElement.TryGetProperty("tool_calls", out var list) || list.ValueKind != JsonValueKind.Array) return false;
            foreach (var c in list.EnumerateArray())
                if (!AddCall(c, calls)) return false;
        }
        catch (JsonException)
        {
            return false;
        }
        content = "";
        return true;
    }

    private bool AddCall(string json, List<ToolCall> calls)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return AddCall(doc.RootElement, calls);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private bool AddCall(JsonElement call, List<ToolCall> calls)
    {
        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) return false;
        if (!call.TryGetProperty(ArgumentsKey, out var arguments) && !call.TryGetProperty("arguments", out arguments)) return false;
        string text = arguments.ValueKind == JsonValueKind.String ? arguments.GetString()! : arguments.GetRawText();
        calls.Add(new ToolCall("call_" + Guid.NewGuid().ToString("N")[..24], name.GetString()!, text));
        return true;
    }
}
