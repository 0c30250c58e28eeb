using System.Text;
using System.Text.Json;
using Wafer.Models.ChatTemplates;

namespace Wafer.Models.Tests.Fuzz;

/// <summary>Replays the template inputs AFL found crashes with (tests/Wafer.Models.Tests/Fuzz/corpus/template/*.bin, committed;
/// as bench/Wafer.Fuzz reads them: the template source, then after a NUL byte the conversation): each parses and renders,
/// or fails with a <see cref="TemplateException"/>.</summary>
public sealed class ChatTemplateCorpusTests
{
    private static string Folder => Path.Combine(Repository.Root, "tests", "Wafer.Models.Tests", "Fuzz", "corpus", "template");

    public static TheoryData<string> Files() => [.. Directory.GetFiles(Folder, "*.bin").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Files))]
    public void ParseRender_CrashFoundByAfl_TextOrTemplateException(string name)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(Folder, name));
        int split = Array.IndexOf(input, (byte)0);
        string source = Encoding.UTF8.GetString(split < 0 ? input : input.AsSpan(0, split));
        string messages = split < 0 ? """[{"role":"user","content":"hi"}]""" : Encoding.UTF8.GetString(input.AsSpan(split + 1));
        JsonElement conversation;
        try
        {
            using var document = JsonDocument.Parse(messages);
            conversation = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return; // not a conversation: the fuzz target skips such inputs too
        }
        try
        {
            _ = ChatTemplate.Parse(source).Render(new ChatTemplateContext { Messages = conversation });
        }
        catch (TemplateException e)
        {
            Assert.StartsWith("chat template error at line", e.Message);
        }
    }

    [Theory]
    [InlineData(@"{{ '\ujIPI' }}", "'\\u' must be followed by four hex digits, got 'jIPI'")]
    [InlineData(@"{{ '\u-001' }}", "got '-001'")]
    public void Parse_UEscapeWithoutFourHexDigits_TemplateExceptionNotFormatException(string source, string message)
    {
        Assert.Contains(message, Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source)).Message);
    }
}
