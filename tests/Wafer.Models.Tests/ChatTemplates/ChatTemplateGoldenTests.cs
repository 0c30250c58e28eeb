using System.Text.Json;
using Wafer.Models.ChatTemplates;
using Xunit;

namespace Wafer.Models.Tests.ChatTemplates;

public sealed class ChatTemplateGoldenTests
{
    private const string MissingFixtures = "fixtures not found: set WAFER_FIXTURES or check out ../shared next to the repository";

    private static readonly Lazy<JsonDocument?> Golden = new(() =>
        Fixtures.Root is { } root && File.Exists(Path.Combine(root, "golden", "chat-templates.json"))
            ? JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "golden", "chat-templates.json")))
            : null);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        if (Golden.Value is not { } golden)
        {
            data.Add("(fixtures missing)", "(none)");
            return data;
        }

        foreach (var template in golden.RootElement.GetProperty("templates").EnumerateArray())
        {
            foreach (var conversation in template.GetProperty("results").EnumerateObject())
            {
                data.Add(template.GetProperty("template").GetString()!, conversation.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Apply_GoldenConversation_MatchesLlamaCppByteForByte(string templatePath, string conversation)
    {
        if (Golden.Value is not { } golden)
        {
            Assert.Skip(MissingFixtures);
            return;
        }

        var root = golden.RootElement;
        var entry = root.GetProperty("templates").EnumerateArray().First(t => t.GetProperty("template").GetString() == templatePath);
        var expected = entry.GetProperty("results").GetProperty(conversation).GetProperty("prompt").GetString()!;
        var date = DateTimeOffset.Parse(root.GetProperty("header").GetProperty("render_date_utc").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(Fixtures.Root!, templatePath)));
        var context = new ChatTemplateContext
        {
            Messages = root.GetProperty("conversations").GetProperty(conversation),
            BosToken = "<s>",
            EosToken = "</s>",
            Now = date,
        };

        var actual = LlamaCppChatFormatter.Apply(template, context);

        Assert.True(expected == actual, Describe(expected, actual));
    }

    private static string Describe(string expected, string actual)
    {
        var at = 0;
        while (at < expected.Length && at < actual.Length && expected[at] == actual[at])
        {
            at++;
        }

        var from = Math.Max(0, at - 80);
        return $"first difference at char {at} (expected length {expected.Length}, actual {actual.Length})\n" +
            $"expected: {JsonSerializer.Serialize(expected[from..Math.Min(expected.Length, at + 80)])}\n" +
            $"actual:   {JsonSerializer.Serialize(actual[from..Math.Min(actual.Length, at + 80)])}";
    }
}
