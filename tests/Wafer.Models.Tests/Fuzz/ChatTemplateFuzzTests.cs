using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wafer.Models.ChatTemplates;
using Wafer.Tests.Fuzz;

namespace Wafer.Models.Tests.Fuzz;

/// <summary>The chat-template engine parses mutated real templates and renders real templates with random conversations: it
/// produces text or a <see cref="TemplateException"/> with a message, never another exception or a stack overflow.</summary>
public sealed class ChatTemplateFuzzTests
{
    private static readonly string[] Snippets =
    [
        "{{", "}}", "{%", "%}", "{#", "#}", "{%- endfor %}", "{% endif %}", "{% if x %}", "{% for m in messages %}", "{% set x = 1 %}",
        "{% macro f(a) %}", "{% endmacro %}", "{% call f(1) %}", "{% filter upper %}", "{% raw %}", "|tojson", "|length", "|join(',')",
        "|default(none)", "[0]", "[-1]", "[::-1]", "[1:2:0]", ".items()", ".split()", ".strip(", "(", ")", "[", "]", "'", "\"", "\\",
        "~", "+", "*", "**", "//", "%", " is defined", " in ", " not ", "loop.index0", "namespace(", "raise_exception('x')",
        "1e999", "99999999999999999999", "-9223372036854775808", "0x10", "range(3)", "range(-5, 5, -1)", "messages[99]", "none.x",
        "x.y.z", "{{ 1/0 }}", "{{ 1//0 }}", "{{ 5 % 0 }}", "{{ 'a' * -1 }}", "{{ [1,2][5] }}", "{{ 'abc'[10] }}", "{{ {}['k'] }}",
        "{{ range('a') }}", "{{ range(none) }}", "{{ 'ab' * 99999999999 }}", "{{ [1] * 99999999999 }}", "{{ range(99999999999)|length }}",
        "{{ range(9223372036854775800, 9223372036854775807, 5)|list }}", "{{ 'a' - 1 }}", "{{ -'a' }}", "{{ 1 < 'a' }}",
        "{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}",
    ];

    private static List<string> Templates()
    {
        var sources = ChatTemplateResolver.BuiltInNames.Select(n => ChatTemplateResolver.Resolve(n).Source).ToList();
        if (Fixtures.Missing("templates") == null)
            sources.AddRange(Directory.GetFiles(Fixtures.Path("templates"), "*.jinja").Order(StringComparer.Ordinal).Select(File.ReadAllText));
        return sources;
    }

    private static string MutateSource(string source, Random random, IReadOnlyList<string> all)
    {
        var text = new StringBuilder(source);
        int steps = 1 + random.Next(3);
        for (int i = 0; i < steps; i++)
        {
            int at = random.Next(text.Length + 1);
            switch (random.Next(7))
            {
                case 0: // insert a construct
                    text.Insert(at, Snippets[random.Next(Snippets.Length)]);
                    break;
                case 1: // delete a span
                    text.Remove(Math.Min(at, text.Length), Math.Min(text.Length - Math.Min(at, text.Length), 1 + random.Next(40)));
                    break;
                case 2: // splice another template's tail
                    var other = all[random.Next(all.Count)];
                    text.Length = Math.Min(at, text.Length);
                    text.Append(other.AsSpan(random.Next(other.Length + 1)));
                    break;
                case 3: // deep nesting inside an expression
                    int depth = random.Next(2) == 0 ? 10_000 : random.Next(50, 500);
                    string open = random.Next(3) switch { 0 => "(", 1 => "[", _ => "not " };
                    string close = open switch { "(" => ")", "[" => "]", _ => "" };
                    text.Insert(at, "{{ " + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + " }}");
                    break;
                case 4: // deeply nested blocks
                    int blocks = random.Next(2) == 0 ? 5_000 : random.Next(20, 200);
                    text.Insert(at, string.Concat(Enumerable.Repeat("{% if true %}", blocks)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", blocks)));
                    break;
                case 5: // random text, lone surrogates included
                    text.Insert(at, Mutator.RandomText(random, 8));
                    break;
                default: // truncate
                    text.Length = Math.Min(at, text.Length);
                    break;
            }
        }
        return text.ToString();
    }

    /// <summary>A conversation of random shape: odd roles, content as string, parts, null or number, tool calls, missing keys.</summary>
    internal static JsonElement RandomMessages(Random random)
    {
        var messages = new JsonArray();
        int count = random.Next(6);
        for (int i = 0; i < count; i++)
        {
            var m = new JsonObject();
            if (random.Next(10) != 0) m["role"] = new[] { "system", "user", "assistant", "tool", "developer", "ipython", "", "x" }[random.Next(8)];
            m["content"] = random.Next(6) switch
            {
                0 => null,
                1 => new JsonArray(new JsonObject { ["type"] = "text", ["text"] = Mutator.RandomText(random, 20) }, new JsonObject { ["type"] = "image" }),
                2 => JsonValue.Create(random.Next()),
                3 => new JsonObject { ["k"] = "v" },
                _ => JsonValue.Create(Mutator.RandomText(random, 40)),
            };
            if (random.Next(4) == 0)
                m["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = "call_1", ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = Mutator.RandomText(random, 6), ["arguments"] = random.Next(2) == 0 ? "{\"a\":1}" : new JsonObject { ["a"] = 1 } },
                });
            if (random.Next(5) == 0) m["reasoning_content"] = Mutator.RandomText(random, 10);
            if (random.Next(8) == 0) m["name"] = 5;
            messages.Add(random.Next(20) == 0 ? JsonValue.Create("not an object") : m);
        }
        return JsonSerializer.SerializeToElement(messages);
    }

    private static ChatTemplateContext Context(Random random) => new()
    {
        Messages = RandomMessages(random),
        AddGenerationPrompt = random.Next(2) == 0,
        BosToken = "<s>",
        EosToken = "</s>",
        EnableThinking = random.Next(2) == 0,
        Tools = random.Next(4) == 0
            ? JsonSerializer.SerializeToElement(new[] { new { type = "function", function = new { name = "f", description = "d", parameters = new { type = "object" } } } })
            : null,
        Now = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Parse_MutatedRealTemplates_ParseAndRenderOrTemplateException(int seed)
    {
        var templates = Templates();
        FuzzRunner.Run("template-source", seed, FuzzRunner.Iterations(400), r =>
        {
            string source = MutateSource(templates[r.Next(templates.Count)], r, templates);
            return Encoding.UTF8.GetBytes($"{r.Next()}\n{source}");
        }, input =>
        {
            string text = Encoding.UTF8.GetString(input);
            int newline = text.IndexOf('\n', StringComparison.Ordinal);
            var template = ChatTemplate.Parse(text[(newline + 1)..]);
            _ = template.Render(Context(new Random(int.Parse(text[..newline], System.Globalization.CultureInfo.InvariantCulture))));
        }, e => e is TemplateException);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Render_RealTemplatesRandomConversations_TextOrTemplateException(int seed)
    {
        var templates = Templates().Select(ChatTemplate.Parse).ToList();
        FuzzRunner.Run("template-render", seed, FuzzRunner.Iterations(400), r => BitConverter.GetBytes(r.Next()), input =>
        {
            var random = new Random(BitConverter.ToInt32(input));
            _ = templates[random.Next(templates.Count)].Render(Context(random));
        }, e => e is TemplateException);
    }
}
