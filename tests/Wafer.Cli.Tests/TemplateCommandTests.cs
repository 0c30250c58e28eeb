using System.Text.Json;

namespace Wafer.Cli.Tests;

public sealed class TemplateCommandTests : IDisposable
{
    private const string SystemUser =
        """[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France?"}]""";

    private const string ChatMlSystemUser =
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-template-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Rendered(WaferProcess.Result r)
    {
        CliAssert.Success(r);
        return r.StdOut;
    }

    [Fact]
    public void Template_QwenModelTemplate_RendersChatMlWithGenerationPrompt()
    {
        string model = Fixtures.Path("models/synth-qwen2-2L-128-Q8_0.gguf");

        var prompt = Rendered(WaferProcess.Run("template", model, "--messages", Write("m.json", SystemUser)));

        Assert.Equal(ChatMlSystemUser + "<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Template_NoGenerationPrompt_EndsAfterLastTurn()
    {
        string model = Fixtures.Path("models/synth-qwen2-2L-128-Q8_0.gguf");

        var prompt = Rendered(WaferProcess.Run("template", model, "--messages", Write("m.json", SystemUser), "--no-generation-prompt"));

        Assert.Equal(ChatMlSystemUser, prompt);
    }

    [Fact]
    public void Template_ModelWithoutTemplate_FallsBackToChatMl()
    {
        string model = Fixtures.Path("models/stories260K.gguf");

        var prompt = Rendered(WaferProcess.Run("template", model, "--messages", Write("m.json", SystemUser)));

        Assert.Equal(ChatMlSystemUser + "<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Template_MessagesObjectWithTools_PassesToolsToTemplate()
    {
        string model = Fixtures.Path("models/stories260K.gguf");
        string messages = Write("m.json", """{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}]}""");
        string template = Write("t.jinja", "{{ tools | length }}:{{ tools[0].function.name }}:{{ messages[0].content }}");

        Assert.Equal("1:f:hi", Rendered(WaferProcess.Run("template", model, "--messages", messages, "--template", template)));
    }

    [Fact]
    public void Template_BuiltInName_UsesModelBosAndEos()
    {
        string model = Fixtures.Path("models/stories260K.gguf");
        string messages = Write("m.json", """[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]""");

        var prompt = Rendered(WaferProcess.Run("template", model, "--messages", messages, "--template", "llama2"));

        Assert.Equal("[INST] a [/INST] b </s><s>[INST] c [/INST]", prompt);
    }

    [Theory]
    [InlineData("templates/meta-llama-Llama-3.1-8B-Instruct.jinja", "multi_turn")]
    [InlineData("templates/Apertus-8B-Instruct.jinja", "unicode_quotes")]
    [InlineData("templates/google-gemma-2-2b-it.jinja", "system_user")]
    public void Template_GoldenTemplateAndDate_MatchesLlamaServerByteForByte(string templatePath, string conversation)
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/chat-templates.json")));
        var root = golden.RootElement;
        string model = Fixtures.Path(root.GetProperty("model").GetProperty("file").GetString()!);
        string date = root.GetProperty("header").GetProperty("render_date_utc").GetString()!;
        string messages = Write("m.json", root.GetProperty("conversations").GetProperty(conversation).GetRawText());
        var entry = root.GetProperty("templates").EnumerateArray().First(t => t.GetProperty("template").GetString() == templatePath);
        string expected = entry.GetProperty("results").GetProperty(conversation).GetProperty("prompt").GetString()!;

        var prompt = Rendered(WaferProcess.Run("template", model, "--messages", messages, "--template", Fixtures.Path(templatePath), "--date", date));

        Assert.Equal(expected, prompt);
    }

    [Fact]
    public void Template_MissingMessagesFile_OneLineError() =>
        CliAssert.OneLineError(
            WaferProcess.Run("template", Fixtures.Path("models/stories260K.gguf"), "--messages", Path.Combine(_dir, "nope.json")),
            "messages file");

    [Fact]
    public void Template_BadJson_OneLineErrorNamingLine() =>
        CliAssert.OneLineError(
            WaferProcess.Run("template", Fixtures.Path("models/stories260K.gguf"), "--messages", Write("bad.json", "[\n  {\"role\": \"user\",, }\n]")),
            "not valid JSON at line 2");

    [Fact]
    public void Template_MessageWithoutRole_OneLineError() =>
        CliAssert.OneLineError(
            WaferProcess.Run("template", Fixtures.Path("models/stories260K.gguf"), "--messages", Write("m.json", """[{"content": "hi"}]""")),
            "message 0 has no \"role\"");

    [Fact]
    public void Template_TemplateSyntaxError_OneLineErrorNamingFileAndLine() =>
        CliAssert.OneLineError(
            WaferProcess.Run("template", Fixtures.Path("models/stories260K.gguf"), "--messages", Write("m.json", SystemUser),
                "--template", Write("broken.jinja", "ok\n{% for m in messages %}{{ m.content }")),
            "broken.jinja");

    [Fact]
    public void Template_TemplateRaisesException_OneLineError() =>
        CliAssert.OneLineError(
            WaferProcess.Run("template", Fixtures.Path("models/stories260K.gguf"), "--messages", Write("m.json", """[{"role": "assistant", "content": "x"}]"""),
                "--template", "gemma"),
            "Conversation roles must alternate");

    [Fact]
    public void Template_UnknownTemplateName_OneLineErrorListingBuiltIns() =>
        CliAssert.OneLineError(
            WaferProcess.Run("template", Fixtures.Path("models/stories260K.gguf"), "--messages", Write("m.json", SystemUser), "--template", "vicuna"),
            "chatml, llama2");

    [Fact]
    public void Template_BadDate_OneLineError() =>
        CliAssert.OneLineError(
            WaferProcess.Run("template", Fixtures.Path("models/stories260K.gguf"), "--messages", Write("m.json", SystemUser), "--date", "23/11/2026"),
            "--date '23/11/2026' is not a date");
}
