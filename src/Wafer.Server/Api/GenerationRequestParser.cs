using System.Text.Json;
using Wafer.Engine;
using Wafer.Engine.Requests;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Sampling;

namespace Wafer.Server.Api;

/// <summary>Validates OpenAI chat and completion requests and turns them into engine requests; errors name the parameter.</summary>
/// <remarks>Unknown fields are ignored, as OpenAI does. Defaults follow the OpenAI API (temperature 1, top_p 1);
/// top_k, min_p, repetition_penalty and ignore_eos are accepted as llama.cpp/vLLM extensions.</remarks>
internal static class GenerationRequestParser
{
    private const int MaxStopStrings = 16;
    private const int MaxStopLength = 512;
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static ParsedGeneration ParseChat(JsonElement body, LocalModel model, int contextLength)
    {
        RequireObject(body);
        CheckCommon(body, model);
        var messages = NormalizeMessages(body);
        IReadOnlyList<int> prompt;
        try
        {
            prompt = model.Renderer.Tokenize(messages);
        }
        catch (TemplateException e)
        {
            throw new ApiException(400, $"the chat template rejected the messages: {e.Problem}", param: "messages");
        }
        bool logprobs = JsonFields.Bool(body, "logprobs") ?? false;
        int top = (int)(JsonFields.Integer(body, "top_logprobs", 0, 20) ?? 0);
        if (top > 0 && !logprobs) throw ApiException.BadParameter("top_logprobs", "'top_logprobs' requires 'logprobs': true");
        long? maxTokens = JsonFields.Integer(body, "max_completion_tokens", 1, int.MaxValue) ?? JsonFields.Integer(body, "max_tokens", 1, int.MaxValue);
        return Build(body, model, prompt, maxTokens, contextLength, "messages", logprobs, top);
    }

    public static ParsedGeneration ParseCompletion(JsonElement body, LocalModel model, int contextLength)
    {
        RequireObject(body);
        CheckCommon(body, model);
        if (JsonFields.Bool(body, "echo") == true) throw ApiException.BadParameter("echo", "'echo' is not supported");
        if (JsonFields.String(body, "suffix") is { Length: > 0 }) throw ApiException.BadParameter("suffix", "'suffix' is not supported");
        var prompt = CompletionPrompt(body, model);
        long? logprobs = JsonFields.Integer(body, "logprobs", 0, 5);
        long? maxTokens = JsonFields.Integer(body, "max_tokens", 1, int.MaxValue) ?? 16;
        return Build(body, model, prompt, maxTokens, contextLength, "prompt", logprobs != null, (int)(logprobs ?? 0));
    }

    private static ParsedGeneration Build(JsonElement body, LocalModel model, IReadOnlyList<int> prompt, long? maxTokens, int contextLength,
        string promptParam, bool logprobs, int top)
    {
        if (prompt.Count == 0) throw ApiException.BadParameter(promptParam, $"'{promptParam}' is empty");
        long max = maxTokens ?? contextLength - prompt.Count;
        if (prompt.Count + max > contextLength)
            throw new ApiException(400, $"this model's context holds {contextLength} tokens; the request has {prompt.Count} prompt tokens and asks for {max} more. Shorten the {promptParam} or lower max_tokens.",
                param: promptParam, code: "context_length_exceeded");
        bool stream = JsonFields.Bool(body, "stream") ?? false;
        bool includeUsage = false;
        if (body.TryGetProperty("stream_options", out var so) && so.ValueKind != JsonValueKind.Null)
        {
            if (so.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter("stream_options", "'stream_options' must be an object");
            if (!stream) throw ApiException.BadParameter("stream_options", "'stream_options' is only allowed with 'stream': true");
            includeUsage = JsonFields.Bool(so, "include_usage") ?? false;
        }
        var request = new GenerationRequest
        {
            PromptTokens = prompt,
            MaxTokens = (int)max,
            Sampling = Sampling(body, model.Tokenizer.VocabularySize),
            StopStrings = JsonFields.Stop(body, MaxStopStrings, MaxStopLength),
            TopLogprobs = logprobs ? top : -1,
            IgnoreEndOfGeneration = JsonFields.Bool(body, "ignore_eos") ?? false,
        };
        return new ParsedGeneration(request, stream, includeUsage, logprobs, top);
    }

    private static SamplingOptions Sampling(JsonElement body, int vocabularySize)
    {
        long? seed = JsonFields.Integer(body, "seed", long.MinValue, long.MaxValue);
        return new SamplingOptions
        {
            Temperature = (float)(JsonFields.Number(body, "temperature", 0, 2) ?? 1.0),
            TopP = (float)(JsonFields.Number(body, "top_p", 1e-9, 1) ?? 1.0),
            TopK = (int)(JsonFields.Integer(body, "top_k", -1, int.MaxValue) is long k && k > 0 ? k : 0),
            MinP = (float)(JsonFields.Number(body, "min_p", 0, 1) ?? 0),
            RepetitionPenalty = (float)(JsonFields.Number(body, "repetition_penalty", 1e-3, 10) ?? 1.0),
            PresencePenalty = (float)(JsonFields.Number(body, "presence_penalty", -2, 2) ?? 0),
            FrequencyPenalty = (float)(JsonFields.Number(body, "frequency_penalty", -2, 2) ?? 0),
            LogitBias = JsonFields.LogitBias(body, vocabularySize),
            Seed = seed is long s ? unchecked((ulong)s) : null,
        };
    }

    private static void RequireObject(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
    }

    private static void CheckCommon(JsonElement body, LocalModel model)
    {
        string? name = JsonFields.String(body, "model");
        if (name != null && name != model.Name)
            throw new ApiException(404, $"The model '{name}' does not exist; this server serves '{model.Name}'", param: "model", code: "model_not_found");
        if (JsonFields.Integer(body, "n", 1, 128) is > 1) throw ApiException.BadParameter("n", "only 'n': 1 is supported");
        JsonFields.String(body, "user");
    }

    /// <summary>The messages as the template reads them: roles checked, content parts joined into strings.</summary>
    private static JsonElement NormalizeMessages(JsonElement body)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw ApiException.BadParameter("messages", "'messages' must be an array of {role, content} objects");
        if (messages.GetArrayLength() == 0) throw ApiException.BadParameter("messages", "'messages' must not be empty");
        var normalized = new List<Dictionary<string, string>>();
        int index = 0;
        foreach (var m in messages.EnumerateArray())
        {
            string where = $"messages[{index++}]";
            if (m.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter(where, $"'{where}' must be an object");
            string role = JsonFields.String(m, "role") ?? throw ApiException.BadParameter($"{where}.role", $"'{where}.role' is required");
            if (!Roles.Contains(role)) throw ApiException.BadParameter($"{where}.role", $"'{where}.role' must be one of {string.Join(", ", Roles)}, got '{role}'");
            normalized.Add(new Dictionary<string, string> { ["role"] = role == "developer" ? "system" : role, ["content"] = Content(m, where) });
        }
        return JsonSerializer.SerializeToElement(normalized);
    }

    private static string Content(JsonElement message, string where)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter($"{where}.content", $"'{where}.content' must be a string or an array of text parts");
        var text = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            string? type = part.ValueKind == JsonValueKind.Object ? JsonFields.String(part, "type") : null;
            if (type != "text") throw ApiException.BadParameter($"{where}.content", $"'{where}.content' parts must be {{\"type\": \"text\", \"text\": …}}; this model reads text only");
            text.Append(JsonFields.String(part, "text") ?? throw ApiException.BadParameter($"{where}.content", "a text part needs 'text'"));
        }
        return text.ToString();
    }

    private static IReadOnlyList<int> CompletionPrompt(JsonElement body, LocalModel model)
    {
        if (!body.TryGetProperty("prompt", out var prompt) || prompt.ValueKind == JsonValueKind.Null)
            throw ApiException.BadParameter("prompt", "'prompt' is required");
        if (prompt.ValueKind == JsonValueKind.String) return model.Tokenizer.Encode(prompt.GetString()!, addSpecial: true, parseSpecial: true);
        if (prompt.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter("prompt", "'prompt' must be a string, an array of one string, or an array of token ids");
        var items = prompt.EnumerateArray().ToList();
        if (items.Count == 1 && items[0].ValueKind == JsonValueKind.String) return model.Tokenizer.Encode(items[0].GetString()!, addSpecial: true, parseSpecial: true);
        if (items.Count == 1 && items[0].ValueKind == JsonValueKind.Array) items = items[0].EnumerateArray().ToList();
        var ids = new List<int>(items.Count);
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id) || id < 0 || id >= model.Tokenizer.VocabularySize)
                throw ApiException.BadParameter("prompt", $"'prompt' token ids must be integers in 0…{model.Tokenizer.VocabularySize - 1}; batches of several prompts are not supported");
            ids.Add(id);
        }
        return ids;
    }
}
