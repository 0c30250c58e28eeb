using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Wafer.Engine.Chat.Tools;
using Wafer.Engine.Requests;
using Wafer.Models.Constraints;
using Wafer.Models.Sampling;
using MeaiFinishReason = Microsoft.Extensions.AI.ChatFinishReason;

namespace Wafer.Engine.Chat;

/// <summary>A <see cref="IChatClient"/> over an in-process <see cref="InferenceEngine"/>: chat with a local GGUF model through Microsoft.Extensions.AI.</summary>
public sealed class WaferChatClient(InferenceEngine engine, ChatPromptRenderer renderer, string modelId) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("wafer", null, modelId);

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (request, tools) = CreateRequest(messages, options); // errors come through the task, as before
        return await CompleteAsync(request, tools, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChatResponse> CompleteAsync(GenerationRequest request, ToolSet? tools, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        TokenEvent? last = null;
        await foreach (var e in engine.GenerateAsync(request, cancellationToken).ConfigureAwait(false))
        {
            text.Append(e.Text);
            last = e;
        }
        var (message, called) = Answer(text.ToString(), tools);
        return new ChatResponse(message)
        {
            ModelId = modelId,
            FinishReason = called ? MeaiFinishReason.ToolCalls : Map(last?.FinishReason),
            Usage = Usage(last?.Usage),
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string responseId = Guid.NewGuid().ToString("N");
        var (request, tools) = CreateRequest(messages, options);
        if (tools != null)
        {
            // A call is only known to be one once it is whole: the answer comes as one update at the end.
            var response = await CompleteAsync(request, tools, cancellationToken).ConfigureAwait(false);
            foreach (var update in response.ToChatResponseUpdates()) yield return update;
            yield break;
        }
        await foreach (var e in engine.GenerateAsync(request, cancellationToken).ConfigureAwait(false))
        {
            var update = new ChatResponseUpdate(ChatRole.Assistant, e.Text)
            {
                ModelId = modelId,
                ResponseId = responseId,
                FinishReason = Map(e.FinishReason),
            };
            if (e.Usage != null) update.Contents.Add(new UsageContent(Usage(e.Usage)!));
            yield return update;
        }
    }

    private (GenerationRequest Request, ToolSet? Tools) CreateRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        RejectUnsupported(messages, options);
        var tools = Tools(options);
        var json = ToJson(messages, tools != null && !renderer.TakesTools ? tools.Format.Instructions(tools.Definitions) : null);
        var prompt = tools != null && renderer.TakesTools ? renderer.Tokenize(json, tools: tools.TemplateJson) : renderer.Tokenize(json);
        var sampling = new SamplingOptions
        {
            Temperature = options?.Temperature ?? SamplingDefaults.Temperature,
            TopP = options?.TopP ?? SamplingDefaults.TopP,
            TopK = options?.TopK ?? SamplingDefaults.TopK,
            Seed = options?.Seed is long seed ? unchecked((ulong)seed) : null,
            FrequencyPenalty = options?.FrequencyPenalty ?? SamplingDefaults.Penalty,
            PresencePenalty = options?.PresencePenalty ?? SamplingDefaults.Penalty,
        };
        var request = new GenerationRequest
        {
            PromptTokens = prompt,
            Sampling = sampling,
            MaxTokens = options?.MaxOutputTokens,
            StopStrings = options?.StopSequences?.ToArray() ?? [],
            Grammar = Constraint(options?.ResponseFormat),
        };
        if (tools == null) return (renderer.ConstrainAfterThinking(request), null);
        if (tools.Forced && request.Grammar != null) throw new ArgumentException("a required tool call cannot be combined with a JSON response format", nameof(options));
        var allowed = tools.Specific is { } name ? tools.Definitions.Where(t => t.Name == name).ToList() : tools.Definitions;
        try
        {
            request = tools.Format.Constrain(request, allowed, tools.Forced, tools.Parallel);
        }
        catch (GrammarException e)
        {
            throw new ArgumentException($"a tool's parameter schema cannot constrain decoding: {e.Message}", nameof(options), e);
        }
        return (renderer.ConstrainAfterThinking(request), tools);
    }

    /// <summary>The tools of a request: the model's call format, the definitions, and whether a call is forced.</summary>
    private sealed record ToolSet(ToolCallFormat Format, IReadOnlyList<ToolDefinition> Definitions, JsonElement TemplateJson, bool Forced, string? Specific, bool Parallel);

    private ToolSet? Tools(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } list || options.ToolMode is NoneChatToolMode) return null;
        var definitions = new List<ToolDefinition>();
        var template = new List<object>();
        foreach (var tool in list)
        {
            if (tool is not AIFunctionDeclaration f) throw new NotSupportedException($"the tool {tool.Name} ({tool.GetType().Name}) is not a function; only functions can be called");
            definitions.Add(new ToolDefinition(f.Name, f.Description, f.JsonSchema));
            template.Add(new { type = "function", function = new { name = f.Name, description = f.Description, parameters = f.JsonSchema } });
        }
        string? specific = (options.ToolMode as RequiredChatToolMode)?.RequiredFunctionName;
        if (specific != null && definitions.All(d => d.Name != specific))
            throw new ArgumentException($"the tool mode requires '{specific}', which is not among the tools", nameof(options));
        return new ToolSet(renderer.ToolFormat, definitions, JsonSerializer.SerializeToElement(template),
            options.ToolMode is RequiredChatToolMode, specific, options.AllowMultipleToolCalls ?? true);
    }

    /// <summary>The assistant message: function calls where the text holds well-formed ones, else the text.</summary>
    private static (ChatMessage Message, bool Called) Answer(string text, ToolSet? tools)
    {
        if (tools == null) return (new ChatMessage(ChatRole.Assistant, text), false);
        var (content, calls) = tools.Format.Parse(text, tools.Definitions);
        if (calls.Count == 0) return (new ChatMessage(ChatRole.Assistant, text), false);
        var contents = new List<AIContent>();
        if (content != null) contents.Add(new TextContent(content));
        foreach (var call in calls)
        {
            Dictionary<string, object?>? arguments;
            try
            {
                arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>(call.Arguments);
            }
            catch (JsonException)
            {
                arguments = null;
            }
            contents.Add(new FunctionCallContent(call.Id, call.Name, arguments));
        }
        return (new ChatMessage(ChatRole.Assistant, contents), true);
    }

    /// <summary><see cref="ChatResponseFormat.Json"/> constrains the answer to a JSON object; a format with a schema, to
    /// JSON of that schema (<see cref="JsonSchemaGrammar"/>: a keyword it does not support is an <see cref="ArgumentException"/>).</summary>
    private static Grammar? Constraint(ChatResponseFormat? format)
    {
        if (format is not ChatResponseFormatJson json) return null;
        try
        {
            return json.Schema is { } schema ? JsonSchemaGrammar.Compile(schema) : Grammar.Parse(JsonGrammars.Object);
        }
        catch (GrammarException e)
        {
            throw new ArgumentException($"the response format's JSON schema cannot constrain decoding: {e.Message}", nameof(format), e);
        }
    }

    /// <summary>Options and contents this client does not implement yet are refused, never silently dropped.</summary>
    private static void RejectUnsupported(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.ResponseFormat is { } format && format is not (ChatResponseFormatText or ChatResponseFormatJson))
            throw new NotSupportedException($"the response format {format.GetType().Name} is not supported; use text or JSON");
        foreach (var message in messages)
            foreach (var content in message.Contents)
                if (content is not (TextContent or FunctionCallContent or FunctionResultContent))
                    throw new NotSupportedException($"a {message.Role} message holds {content.GetType().Name}; this model reads text only");
    }

    /// <summary>Messages as the JSON array chat templates read: [{"role": …, "content": …}], an assistant's function calls as
    /// <c>tool_calls</c> (arguments as objects) and each function result as a <c>tool</c> message; <paramref name="toolInstructions"/>
    /// (for templates that do not describe tools) go first in the system message.</summary>
    internal static JsonElement ToJson(IEnumerable<ChatMessage> messages, string? toolInstructions = null)
    {
        var array = new List<Dictionary<string, object?>>();
        foreach (var m in messages)
        {
            var results = m.Contents.OfType<FunctionResultContent>().ToList();
            foreach (var r in results)
                array.Add(new Dictionary<string, object?> { ["role"] = "tool", ["tool_call_id"] = r.CallId, ["content"] = r.Result is string text ? text : JsonSerializer.Serialize(r.Result) });
            if (results.Count > 0 && string.IsNullOrEmpty(m.Text)) continue;
            var message = new Dictionary<string, object?> { ["role"] = m.Role.Value, ["content"] = m.Text };
            var calls = m.Contents.OfType<FunctionCallContent>().ToList();
            if (calls.Count > 0)
                message["tool_calls"] = calls.Select(c => new Dictionary<string, object?>
                {
                    ["id"] = c.CallId,
                    ["type"] = "function",
                    ["function"] = new Dictionary<string, object?> { ["name"] = c.Name, ["arguments"] = c.Arguments ?? new Dictionary<string, object?>() },
                }).ToList();
            array.Add(message);
        }
        if (toolInstructions != null) ToolCallFormat.AddInstructions(array, toolInstructions);
        return JsonSerializer.SerializeToElement(array);
    }

    private static MeaiFinishReason? Map(FinishReason? reason) => reason switch
    {
        null => null,
        FinishReason.Stop => MeaiFinishReason.Stop,
        FinishReason.Length or FinishReason.ContextLength => MeaiFinishReason.Length,
        _ => MeaiFinishReason.Stop,
    };

    private static UsageDetails? Usage(GenerationUsage? usage) => usage == null ? null : new UsageDetails
    {
        InputTokenCount = usage.PromptTokens,
        OutputTokenCount = usage.CompletionTokens,
        TotalTokenCount = usage.PromptTokens + usage.CompletionTokens,
        CachedInputTokenCount = usage.CachedPromptTokens,
    };

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey != null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(engine) ? engine
        : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
