using System.Text.Json;
using Wafer.Engine.Requests;
using Wafer.Models.Constraints;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Chat;

/// <summary>Turns chat messages into prompt tokens: the model's chat template (as llama.cpp renders it), then the tokenizer.</summary>
public sealed class ChatPromptRenderer(ChatTemplate template, Tokenizer tokenizer, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>The template in use.</summary>
    public ChatTemplate Template => template;

    /// <summary>How the template teaches the model to write tool calls (detected once).</summary>
    public Tools.ToolCallFormat ToolFormat { get; } = Tools.ToolCallFormat.Detect(template.Source);

    /// <summary>True when the template renders the request's tools itself; otherwise they are described in the system message
    /// (<see cref="Tools.ToolCallFormat.Instructions"/>).</summary>
    public bool TakesTools { get; } = template.Source.Contains("tools", StringComparison.Ordinal);

    /// <summary>True for a thinking model's template (it writes <c>&lt;think&gt;</c>): the answer may open with a reasoning block.</summary>
    public bool Thinks { get; } = template.Source.Contains("<think>", StringComparison.Ordinal);

    /// <summary>True when the rendered <paramref name="prompt"/> ends inside an opened <c>&lt;think&gt;</c> block (templates that
    /// start the answer's reasoning themselves): the answer begins with reasoning and closes it.</summary>
    public bool OpensThinking(IReadOnlyList<int> prompt)
    {
        if (!Thinks) return false;
        string tail = tokenizer.Decode(prompt.Skip(Math.Max(0, prompt.Count - 8)).ToList());
        return tail.TrimEnd().EndsWith("<think>", StringComparison.Ordinal);
    }

    /// <summary>For a thinking model, <paramref name="request"/>'s grammar when it holds from the first token (a response
    /// format, a forced tool call) moves behind the reasoning block (<see cref="Grammar.AfterThinking"/>): the thinking stays
    /// free, the answer after it is constrained. A lazy grammar waits for its trigger anyway.</summary>
    public GenerationRequest ConstrainAfterThinking(GenerationRequest request) =>
        !Thinks || request.Grammar is not { } grammar || request.GrammarTrigger != null ? request
            : request with { Grammar = grammar.AfterThinking(OpensThinking(request.PromptTokens)) };

    /// <summary>Renders <paramref name="messages"/> (a JSON array of {role, content}) to text.</summary>
    public string Render(JsonElement messages, bool addGenerationPrompt = true, JsonElement? tools = null) =>
        LlamaCppChatFormatter.Apply(template, new ChatTemplateContext
        {
            Messages = messages,
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = tokenizer.BosTokenId >= 0 ? tokenizer.TokenText(tokenizer.BosTokenId) : "",
            EosToken = tokenizer.EosTokenId >= 0 ? tokenizer.TokenText(tokenizer.EosTokenId) : "",
            Tools = tools,
            TokenizerAddsBos = tokenizer.AddBos,
            TokenizerAddsEos = tokenizer.AddEos,
            Now = _clock.GetUtcNow(),
        });

    /// <summary>Renders and tokenizes (BOS added where the vocabulary wants it, special-token text parsed), as llama-server does.</summary>
    public IReadOnlyList<int> Tokenize(JsonElement messages, bool addGenerationPrompt = true, JsonElement? tools = null) =>
        tokenizer.Encode(Render(messages, addGenerationPrompt, tools), addSpecial: true, parseSpecial: true);
}
