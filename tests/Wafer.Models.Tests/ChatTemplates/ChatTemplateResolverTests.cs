using System.Text.Json;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Gguf;
using Xunit;

namespace Wafer.Models.Tests.ChatTemplates;

public sealed class ChatTemplateResolverTests : IDisposable
{
    private const string SystemUser =
        """[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France?"}]""";

    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-resolver-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Render(ChatTemplate template, string messagesJson, string bos = "<s>", string eos = "</s>") =>
        LlamaCppChatFormatter.Apply(template, new ChatTemplateContext
        {
            Messages = JsonDocument.Parse(messagesJson).RootElement.Clone(),
            BosToken = bos,
            EosToken = eos,
            Now = TemplateHarness.Date,
        });

    [Fact]
    public void Resolve_ChatMlName_ReturnsBuiltInChatMl() =>
        Assert.Same(ChatTemplate.ChatMl, ChatTemplateResolver.Resolve("chatml"));

    [Fact]
    public void Resolve_NameInOtherCase_ReturnsBuiltIn() =>
        Assert.Same(ChatTemplateResolver.Resolve("llama3"), ChatTemplateResolver.Resolve("LLaMA3"));

    [Fact]
    public void Resolve_ExistingFile_ParsesFile()
    {
        string path = Path.Combine(_dir, "t.jinja");
        File.WriteAllText(path, "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}");

        Assert.Equal("<user>hi", Render(ChatTemplateResolver.Resolve(path), """[{"role":"user","content":"hi"}]"""));
    }

    [Fact]
    public void Resolve_UnknownName_ThrowsListingBuiltIns()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ChatTemplateResolver.Resolve("chatmlx"));

        Assert.Contains("'chatmlx'", e.Message, StringComparison.Ordinal);
        Assert.Contains("chatml, llama2, llama3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_FileWithSyntaxError_ThrowsNamingFileLineAndColumn()
    {
        string path = Path.Combine(_dir, "bad.jinja");
        File.WriteAllText(path, "line one\n{% if x %}never closed");

        var e = Assert.Throws<TemplateException>(() => ChatTemplateResolver.Resolve(path));

        Assert.Contains("bad.jinja", e.Message, StringComparison.Ordinal);
        var inner = Assert.IsType<TemplateException>(e.InnerException);
        Assert.True(inner.Line >= 2, $"line {inner.Line}");
    }

    [Fact]
    public void FromModel_NoTemplateKey_FallsBackToChatMl() =>
        Assert.Same(ChatTemplate.ChatMl, ChatTemplateResolver.FromModel(new GgufMetadata(), "m.gguf"));

    [Fact]
    public void FromModel_TemplateKey_ParsesModelTemplate()
    {
        var metadata = new GgufMetadata();
        metadata.Set(GgufNames.ChatTemplate, GgufValueType.String, "[{{ messages[0].content }}]");

        Assert.Equal("[hi]", Render(ChatTemplateResolver.FromModel(metadata, "m.gguf"), """[{"role":"user","content":"hi"}]"""));
    }

    [Fact]
    public void Resolve_Llama2_RendersSysBlockInsideFirstInst() =>
        Assert.Equal(
            "[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nWhat is the capital of France? [/INST]",
            Render(ChatTemplateResolver.Resolve("llama2"), SystemUser));

    [Fact]
    public void Resolve_Llama3_RendersHeaderTurnsAndStripsBos() =>
        Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            Render(ChatTemplateResolver.Resolve("llama3"), SystemUser, bos: "<|begin_of_text|>"));

    [Fact]
    public void Resolve_MistralWithSystemMessage_FoldsSystemIntoFirstInst() =>
        Assert.Equal(
            "[INST] You are a helpful assistant.\nWhat is the capital of France? [/INST]",
            Render(ChatTemplateResolver.Resolve("mistral"), SystemUser));

    [Theory]
    [InlineData("gemma", "templates/google-gemma-2-2b-it.jinja")]
    [InlineData("phi3", "templates/microsoft-Phi-3.5-mini-instruct.jinja")]
    [InlineData("qwen", "templates/Qwen-Qwen2.5-7B-Instruct.jinja")]
    public void Resolve_BuiltInWithUpstreamTemplate_MatchesLlamaCppGolden(string name, string upstream)
    {
        if (Fixtures.Root is not { } root || !File.Exists(Path.Combine(root, "golden", "chat-templates.json")))
        {
            Assert.Skip("fixtures not found: set WAFER_FIXTURES or check out ../shared next to the repository");
            return;
        }

        Assert.Equal(File.ReadAllText(Path.Combine(root, upstream)), ChatTemplateResolver.Resolve(name).Source);
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "golden", "chat-templates.json")));
        var entry = golden.RootElement.GetProperty("templates").EnumerateArray().First(t => t.GetProperty("template").GetString() == upstream);
        foreach (var conversation in entry.GetProperty("results").EnumerateObject())
        {
            string messages = golden.RootElement.GetProperty("conversations").GetProperty(conversation.Name).GetRawText();
            Assert.Equal(conversation.Value.GetProperty("prompt").GetString(), Render(ChatTemplateResolver.Resolve(name), messages));
        }
    }
}
