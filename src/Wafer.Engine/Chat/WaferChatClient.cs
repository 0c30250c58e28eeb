using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
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
        var text = new StringBuilder();
        TokenEvent? last = null;
        await foreach (var e in engine.GenerateAsync(CreateRequest(messages, options), cancellationToken).ConfigureAwait(false))
        {
            text.Append(e.Text);
            last = e;
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = modelId,
            FinishReason = Map(last?.FinishReason),
            Usage = Usage(last?.Usage),
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string responseId = Guid.NewGuid().ToString("N");
        await foreach (var e in engine.GenerateAsync(CreateRequest(messages, options), cancellationToken).ConfigureAwait(false))
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

    private GenerationRequest CreateRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        RejectUnsupported(messages, options);
        var prompt = renderer.Tokenize(ToJson(messages));
        var sampling = new SamplingOptions
        {
            Temperature = options?.Temperature ?? SamplingDefaults.Temperature,
            TopP = options?.TopP ?? SamplingDefaults.TopP,
            TopK = options?.TopK ?? SamplingDefaults.TopK,
            Seed = options?.Seed is long seed ? unchecked((ulong)seed) : null,
            FrequencyPenalty = options?.FrequencyPenalty ?? SamplingDefaults.Penalty,
            PresencePenalty = options?.PresencePenalty ?? SamplingDefaults.Penalty,
        };
        return new GenerationRequest
        {
            PromptTokens = prompt,
            Sampling = sampling,
            MaxTokens = options?.MaxOutputTokens,
            StopStrings = options?.StopSequences?.ToArray() ?? [],
            Grammar = Constraint(options?.ResponseFormat),
        };
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
        if (options?.Tools is { Count: > 0 }) throw new NotSupportedException("tool calling is not supported by the Wafer chat client yet; pass no Tools");
        if (options?.ResponseFormat is { } format && format is not (ChatResponseFormatText or ChatResponseFormatJson))
            throw new NotSupportedException($"the response format {format.GetType().Name} is not supported; use text or JSON");
        foreach (var message in messages)
            foreach (var content in message.Contents)
                if (content is not TextContent)
                    throw new NotSupportedException($"a {message.Role} message holds {content.GetType().Name}; this model reads text only");
    }

    /// <summary>Messages as the JSON array chat templates read: [{"role": …, "content": …}].</summary>
    internal static JsonElement ToJson(IEnumerable<ChatMessage> messages)
    {
        var array = messages.Select(m => new Dictionary<string, string> { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray();
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
