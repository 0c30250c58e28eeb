using System.Text.Json;

namespace Wafer.Models.ChatTemplates;

/// <summary>The variables a chat template is rendered with (llama.cpp's names and defaults).</summary>
public sealed record ChatTemplateContext
{
    /// <summary>JSON array of messages: objects with <c>role</c> and <c>content</c> (a string or a list of parts).</summary>
    public required JsonElement Messages { get; init; }

    /// <summary>Whether the template should open an assistant turn at the end.</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>The model's BOS token text, exposed as <c>bos_token</c>.</summary>
    public string BosToken { get; init; } = string.Empty;

    /// <summary>The model's EOS token text, exposed as <c>eos_token</c>.</summary>
    public string EosToken { get; init; } = string.Empty;

    /// <summary>Whether the tokenizer adds BOS itself; llama.cpp then strips one leading <see cref="BosToken"/> from the render.</summary>
    public bool TokenizerAddsBos { get; init; } = true;

    /// <summary>Whether the tokenizer adds EOS itself; llama.cpp then strips one trailing <see cref="EosToken"/> from the render.</summary>
    public bool TokenizerAddsEos { get; init; }

    /// <summary>JSON array of tool definitions; null leaves <c>tools</c> undefined, as llama.cpp does without tools.</summary>
    public JsonElement? Tools { get; init; }

    /// <summary>Exposed as <c>enable_thinking</c>; llama.cpp passes true unless reasoning is disabled.</summary>
    public bool EnableThinking { get; init; } = true;

    /// <summary>The instant <c>strftime_now</c>, <c>date_string</c> and <c>datetime</c> report (injected so renders are reproducible).</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>Further template variables (e.g. <c>reasoning_effort</c>), as JSON values.</summary>
    public IReadOnlyDictionary<string, JsonElement>? ExtraVariables { get; init; }
}
