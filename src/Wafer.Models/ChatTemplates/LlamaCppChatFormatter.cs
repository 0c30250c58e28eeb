using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wafer.Models.ChatTemplates;

/// <summary>Renders a chat template the way llama.cpp's server does, including its pre- and post-processing.</summary>
/// <remarks>
/// Step 1: for StepFun-style templates, message contents are trimmed first.
/// Step 2: format-specific variables llama.cpp sets for a few template families are applied.
/// Step 3: the template renders; a template that rejects the system role is re-rendered with the
/// system message folded into the first user message, as llama.cpp's polyfill does.
/// Step 4: one leading BOS (trailing EOS) string is removed when the tokenizer adds BOS (EOS) itself.
/// </remarks>
public static class LlamaCppChatFormatter
{
    private const string StepFunMarker = "You have access to the following functions in JSONSchema format";

    /// <summary>Renders <paramref name="context"/> through <paramref name="template"/> with llama.cpp's rules.</summary>
    public static string Apply(ChatTemplate template, ChatTemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(context);

        // Step 1: llama.cpp trims contents for these templates, which otherwise echo stray whitespace.
        if (template.Source.Contains(StepFunMarker, StringComparison.Ordinal))
        {
            context = context with { Messages = MapMessages(context.Messages, TrimContent) };
        }

        // Step 2
        context = ApplyFormatVariables(template.Source, context);

        // Step 3
        string prompt;
        try
        {
            prompt = template.Render(context);
        }
        catch (TemplateException ex) when (ex.RaisedByTemplate && StartsWithSystem(context.Messages))
        {
            prompt = template.Render(context with { Messages = FoldSystemIntoUser(context.Messages) });
        }

        // Step 4
        if (context.TokenizerAddsBos && context.BosToken.Length > 0 && prompt.StartsWith(context.BosToken, StringComparison.Ordinal))
        {
            prompt = prompt[context.BosToken.Length..];
        }

        if (context.TokenizerAddsEos && context.EosToken.Length > 0 && prompt.EndsWith(context.EosToken, StringComparison.Ordinal))
        {
            prompt = prompt[..^context.EosToken.Length];
        }

        return prompt;
    }

    // llama.cpp's dedicated handlers for these families render without thinking (Apertus) or keep
    // earlier turns' reasoning blocks (DeepSeek V4); the golden renders show both.
    private static ChatTemplateContext ApplyFormatVariables(string source, ChatTemplateContext context)
    {
        if (source.Contains("<|developer_start|>", StringComparison.Ordinal) && source.Contains("Deliberation: ", StringComparison.Ordinal))
        {
            return context with { EnableThinking = false };
        }

        if (source.Contains("drop_thinking", StringComparison.Ordinal) && source.Contains("｜DSML｜", StringComparison.Ordinal))
        {
            var extra = new Dictionary<string, JsonElement>(context.ExtraVariables ?? new Dictionary<string, JsonElement>());
            extra.TryAdd("drop_thinking", JsonSerializer.SerializeToElement(false));
            return context with { ExtraVariables = extra };
        }

        return context;
    }

    private static bool StartsWithSystem(JsonElement messages) =>
        messages.ValueKind == JsonValueKind.Array && messages.GetArrayLength() > 0 &&
        messages[0].TryGetProperty("role", out var role) && role.ValueEquals("system");

    private static JsonElement FoldSystemIntoUser(JsonElement messages)
    {
        var array = JsonNode.Parse(messages.GetRawText())!.AsArray();
        var system = array[0]!["content"]?.GetValue<string>() ?? string.Empty;
        array.RemoveAt(0);
        var user = array.FirstOrDefault(m => m?["role"]?.GetValue<string>() == "user");
        if (user is not null && user["content"] is JsonValue content && content.TryGetValue<string>(out var text))
        {
            user["content"] = system + "\n" + text;
        }
        else
        {
            array.Insert(0, new JsonObject { ["role"] = "user", ["content"] = system });
        }

        return JsonSerializer.SerializeToElement(array);
    }

    private static void TrimContent(JsonNode message)
    {
        if (message["content"] is JsonValue content && content.TryGetValue<string>(out var text))
        {
            message["content"] = text.Trim();
        }
    }

    private static JsonElement MapMessages(JsonElement messages, Action<JsonNode> change)
    {
        var array = JsonNode.Parse(messages.GetRawText())?.AsArray() ?? [];
        foreach (var message in array)
        {
            if (message is not null)
            {
                change(message);
            }
        }

        return JsonSerializer.SerializeToElement(array);
    }
}
