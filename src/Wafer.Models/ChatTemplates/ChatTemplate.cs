using System.Text.Json;

namespace Wafer.Models.ChatTemplates;

/// <summary>A parsed Jinja chat template that renders conversations into prompt text.</summary>
public sealed class ChatTemplate
{
    private const string ChatMlSource =
        "{%- for message in messages -%}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor -%}" +
        "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}";

    private readonly List<Stmt> statements;

    private ChatTemplate(string source, List<Stmt> statements)
    {
        Source = source;
        this.statements = statements;
    }

    /// <summary>The built-in ChatML template, used when a model ships none.</summary>
    public static ChatTemplate ChatMl { get; } = Parse(ChatMlSource);

    /// <summary>The template text this was parsed from.</summary>
    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>; throws <see cref="TemplateException"/> naming line and column on a syntax error.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, Parser.Parse(source));
    }

    /// <summary>Renders the template exactly as written (no llama.cpp post-processing; see <see cref="LlamaCppChatFormatter"/>).</summary>
    public string Render(ChatTemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var globals = new Scope(null);
        Globals.AddTo(globals, context.Now);
        globals.Set("messages", JsonValueConverter.FromJson(context.Messages));
        globals.Set("add_generation_prompt", Value.FromBool(context.AddGenerationPrompt));
        globals.Set("bos_token", Value.FromString(context.BosToken));
        globals.Set("eos_token", Value.FromString(context.EosToken));
        globals.Set("enable_thinking", Value.FromBool(context.EnableThinking));
        globals.Set("date_string", Value.FromString(Strftime.Format(context.Now, "%d %b %Y")));
        globals.Set("datetime", Value.FromString(Strftime.Format(context.Now, "%b %d %Y")));
        if (context.Tools is { } tools)
        {
            globals.Set("tools", JsonValueConverter.FromJson(tools));
        }

        foreach (var (name, value) in context.ExtraVariables ?? new Dictionary<string, JsonElement>())
        {
            globals.Set(name, JsonValueConverter.FromJson(value));
        }

        return Interpreter.Render(statements, globals);
    }
}
