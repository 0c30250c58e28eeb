using System.Text.Json;
using Wafer.Engine.Chat.Tools;
using Wafer.Models.Constraints;

namespace Wafer.Engine.Tests.Tools;

/// <summary>Each tool-call format: detected from real templates, parsed back (malformed output stays content), and its
/// grammar accepts exactly well-formed calls of the given tools.</summary>
public class ToolCallFormatTests
{
    private static readonly ToolDefinition Weather = new("get_weather", "weather in a city",
        JsonDocument.Parse("""{"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}""").RootElement);

    private static readonly ToolDefinition[] Tools = [Weather, new("now", null, JsonDocument.Parse("""{"type": "object", "properties": {}}""").RootElement)];

    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", "hermes")]
    [InlineData("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "hermes")]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3")]
    [InlineData("meta-llama-Llama-3.3-70B-Instruct.jinja", "llama3")]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", "mistral")]
    [InlineData("google-gemma-2-2b-it.jinja", "generic")]
    public void Detect_FixtureTemplate(string file, string format)
    {
        string path = Wafer.Tests.Fixtures.Path(Path.Combine("templates", file));
        Assert.Equal(format, ToolCallFormat.Detect(File.ReadAllText(path)).Name);
    }

    [Theory]
    [InlineData("hermes", "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>", "Let me check.", "get_weather", "{\"city\": \"Oslo\"}")]
    [InlineData("hermes", "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>", null, "now", "{}")]
    [InlineData("mistral", "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\", \"days\": 2}}]", null, "get_weather", "{\"city\": \"Rome\", \"days\": 2}")]
    [InlineData("llama3", " {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}", null, "get_weather", "{\"city\": \"Lima\"}")]
    [InlineData("generic", "{\"tool_calls\": [{\"name\": \"now\", \"arguments\": {}}]}", null, "now", "{}")]
    public void Parse_WellFormed_CallsAndContent(string format, string text, string? content, string name, string arguments)
    {
        var (c, calls) = Format(format).Parse(text, Tools);
        Assert.Equal(content, c);
        var call = Assert.Single(calls);
        Assert.Equal((name, arguments), (call.Name, call.Arguments));
        Assert.StartsWith("call_", call.Id);
    }

    [Theory]
    [InlineData("hermes", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}")]   // unclosed tag
    [InlineData("hermes", "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": }</tool_call>")] // invalid JSON
    [InlineData("hermes", "<tool_call>{\"name\": \"launch\", \"arguments\": {}}</tool_call>")]                 // unknown function
    [InlineData("mistral", "[TOOL_CALLS] [{\"name\": \"now\"")]
    [InlineData("llama3", "The weather is nice.")]
    [InlineData("generic", "{\"answer\": 42}")]
    public void Parse_Malformed_TextStaysContent(string format, string text)
    {
        var (content, calls) = Format(format).Parse(text, Tools);
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Theory]
    [InlineData("hermes", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"days\": 3}}\n</tool_call>", true)]
    [InlineData("hermes", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"days\": 3}}\n</tool_call>", false)]   // city required
    [InlineData("hermes", "<tool_call>\n{\"name\": \"launch\", \"arguments\": {}}\n</tool_call>", false)]
    [InlineData("mistral", "[TOOL_CALLS] [{\"name\": \"now\", \"arguments\": {}}, {\"name\": \"now\", \"arguments\": {}}]", true)]
    [InlineData("llama3", "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"x\"}}", true)]
    [InlineData("generic", "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"x\", \"days\": 1.5}}]}", false)] // integer
    public void Grammar_AcceptsExactlyValidCalls(string format, string text, bool accepted)
    {
        var f = Format(format);
        var grammar = Grammar.Parse(f.Grammar(Tools, parallel: true));
        Assert.Equal(accepted, grammar.Accepts(text));
        if (accepted) Assert.NotEmpty(f.Parse(text, Tools).Calls);
    }

    [Theory]
    [InlineData("hermes", "<tool_call>", "\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>", true)]
    [InlineData("hermes", "<tool_call>", "{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>", false)] // city required
    [InlineData("mistral", "[TOOL_CALLS]", " [{\"name\": \"now\", \"arguments\": {}}]", true)]
    public void LazyGrammar_MarkerThenWhatFollows(string format, string trigger, string rest, bool accepted)
    {
        var (t, gbnf, starts) = Format(format).LazyGrammar(Tools, parallel: true);
        Assert.Equal(trigger, t);
        Assert.False(starts);
        Assert.Equal(accepted, Grammar.Parse(gbnf).Accepts(rest));
        if (accepted) Assert.Single(Format(format).Parse("Sure. " + trigger + rest, Tools).Calls);
    }

    /// <summary>Formats whose call is bare JSON: the trigger is the call's own opening, and the grammar matches it too.</summary>
    [Theory]
    [InlineData("llama3", "{\"name\"", "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", true)]
    [InlineData("llama3", "{\"name\"", "{\"name\": \"get_weather\", \"parameters\": {}}", false)]
    [InlineData("generic", "{\"tool_calls\"", "{\"tool_calls\": [{\"name\": \"now\", \"arguments\": {}}]}", true)]
    public void LazyGrammar_BareJson_TriggerStartsTheSentence(string format, string trigger, string call, bool accepted)
    {
        var (t, gbnf, starts) = Format(format).LazyGrammar(Tools, parallel: true);
        Assert.Equal(trigger, t);
        Assert.True(starts);
        Assert.StartsWith(trigger, call);
        Assert.Equal(accepted, Grammar.Parse(gbnf).Accepts(call));
    }

    private static ToolCallFormat Format(string name) => name switch
    {
        "hermes" => ToolCallFormat.Hermes,
        "mistral" => ToolCallFormat.Mistral,
        "llama3" => ToolCallFormat.Llama3,
        _ => ToolCallFormat.Generic,
    };
}
