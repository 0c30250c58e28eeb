using System.Text.Json;
using Wafer.Models.ChatTemplates;
using Xunit;

namespace Wafer.Models.Tests.ChatTemplates;

public sealed class LlamaCppChatFormatterTests
{
    private static ChatTemplateContext Context(string messagesJson) => new()
    {
        Messages = JsonDocument.Parse(messagesJson).RootElement.Clone(),
        BosToken = "<s>",
        EosToken = "</s>",
    };

    [Fact]
    public void Apply_TemplateStartsWithBos_StripsOneBos()
    {
        var template = ChatTemplate.Parse("{{ bos_token }}{{ bos_token }}{{ messages[0].content }}");

        Assert.Equal("<s>hi", LlamaCppChatFormatter.Apply(template, Context("[{\"role\":\"user\",\"content\":\"hi\"}]")));
    }

    [Fact]
    public void Apply_TemplateRejectsSystemRole_FoldsSystemIntoFirstUserMessage()
    {
        var template = ChatTemplate.Parse(
            "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
            "{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}");

        var prompt = LlamaCppChatFormatter.Apply(template, Context("[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"U\"}]"));

        Assert.Equal("[user:S\nU]", prompt);
    }

    [Fact]
    public void Apply_StepFunTemplate_TrimsMessageContents()
    {
        var template = ChatTemplate.Parse("{# You have access to the following functions in JSONSchema format #}[{{ messages[0].content }}]");

        Assert.Equal("[hi]", LlamaCppChatFormatter.Apply(template, Context("[{\"role\":\"user\",\"content\":\"  hi \\n\"}]")));
    }

    [Fact]
    public void Apply_ChatMlFallback_RendersImStartTurns()
    {
        var prompt = LlamaCppChatFormatter.Apply(ChatTemplate.ChatMl, Context("[{\"role\":\"user\",\"content\":\"hi\"}]"));

        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public void Render_ToolsNull_LeavesToolsUndefined()
    {
        var template = ChatTemplate.Parse("{{ tools is defined }}");

        Assert.Equal("False", template.Render(Context("[]")));
    }

    [Fact]
    public void Apply_TokenizerDoesNotAddBos_KeepsLeadingBos()
    {
        var template = ChatTemplate.Parse("{{ bos_token }}{{ messages[0].content }}");

        var prompt = LlamaCppChatFormatter.Apply(template, Context("[{\"role\":\"user\",\"content\":\"hi\"}]") with { TokenizerAddsBos = false });

        Assert.Equal("<s>hi", prompt);
    }

    [Fact]
    public void Apply_TokenizerAddsEos_StripsOneTrailingEos()
    {
        var template = ChatTemplate.Parse("{{ messages[0].content }}{{ eos_token }}{{ eos_token }}");

        var prompt = LlamaCppChatFormatter.Apply(template, Context("[{\"role\":\"user\",\"content\":\"hi\"}]") with { TokenizerAddsEos = true });

        Assert.Equal("hi</s>", prompt);
    }
}
