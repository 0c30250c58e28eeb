using System.Text.Json;
using Wafer.Engine;
using Wafer.Engine.Chat;
using Wafer.Engine.Chat.Tools;
using Wafer.Engine.Requests;
using Wafer.Engine.Speculation;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Constraints;
using Wafer.Models.Sampling;
using Wafer.Models.Tokenization;

namespace Wafer.Server.Api;

/// <summary>Validates OpenAI chat and completion requests and turns them into engine requests; errors name the parameter.</summary>
/// <remarks>Unknown fields are ignored, as OpenAI does. Sampling fields left out take <see cref="SamplingDefaults"/>
/// (llama.cpp's, as llama-server applies them); top_k, min_p, repetition_penalty and ignore_eos are accepted as
/// llama.cpp/vLLM extensions. The checks that need the engine (context length, vocabulary) are the engine's: it validates
/// every request once, on submission, and names the parameter.</remarks>
internal static class GenerationRequestParser
{
    private const int MaxStopStrings = 16;
    private const int MaxStopLength = 512;
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>What the parser needs of the served model: its name, tokenizer and chat template.</summary>
    internal sealed record Model(string Name, Tokenizer Tokenizer, ChatPromptRenderer Renderer)
    {
        public static Model Of(LocalModel model) => new(model.Name, model.Tokenizer, model.Renderer);
    }

    public static ParsedGeneration ParseChat(JsonElement body, Model model)
    {
        RequireObject(body);
        CheckCommon(body, model);
        var (tools, choice, parallel) = Tools(body);
        var format = model.Renderer.ToolFormat;
        bool useTools = tools.Count > 0 && choice != "none";
        var messages = NormalizeMessages(body, useTools && !model.Renderer.TakesTools ? format.Instructions(tools) : null);
        IReadOnlyList<int> prompt;
        try
        {
            prompt = useTools && model.Renderer.TakesTools
                ? model.Renderer.Tokenize(messages, tools: body.GetProperty("tools"))
                : model.Renderer.Tokenize(messages);
        }
        catch (TemplateException e)
        {
            throw new ApiException(400, $"the chat template rejected the messages: {e.Problem}", param: "messages");
        }
        catch (UntokenizableTextException e)
        {
            throw ApiException.BadParameter("messages", e.Message);
        }
        bool logprobs = JsonFields.Bool(body, "logprobs") ?? false;
        int top = (int)(JsonFields.Integer(body, "top_logprobs", 0, 20) ?? 0);
        if (top > 0 && !logprobs) throw ApiException.BadParameter("top_logprobs", "'top_logprobs' requires 'logprobs': true");
        long? maxTokens = JsonFields.Integer(body, "max_completion_tokens", 1, int.MaxValue) ?? JsonFields.Integer(body, "max_tokens", 1, int.MaxValue);
        var parsed = Build(body, model, prompt, maxTokens, "messages", logprobs, top);
        if (!useTools) return AfterThinking(parsed, model, body);
        if (parsed.Stream && logprobs) throw ApiException.BadParameter("logprobs", "'logprobs' is not supported together with 'tools' when streaming");
        bool forced = choice != "auto";
        if (forced && parsed.Request.Grammar != null)
            throw ApiException.BadParameter("tool_choice", "a forced tool call ('tool_choice' required or a named function) cannot be combined with 'response_format' or 'grammar'");
        var allowed = choice is "auto" or "required" ? tools : tools.Where(t => t.Name == choice).ToList();
        GenerationRequest request;
        try
        {
            request = format.Constrain(parsed.Request, allowed, forced, parallel);
        }
        catch (GrammarException e)
        {
            throw ApiException.BadParameter("tools", $"a tool's 'parameters' cannot constrain decoding: {e.Message}");
        }
        return AfterThinking(parsed with { Request = request, Tools = new ToolUse(tools, format, forced) }, model, body);
    }

    /// <summary>A thinking model's JSON answer (response_format, json_schema, a forced tool call) is constrained after its
    /// reasoning block; a raw GBNF <c>grammar</c> is the whole output, as llama-server applies it (it may spell the block out).</summary>
    private static ParsedGeneration AfterThinking(ParsedGeneration parsed, Model model, JsonElement body) =>
        body.TryGetProperty("grammar", out var g) && g.ValueKind != JsonValueKind.Null ? parsed
            : parsed with { Request = model.Renderer.ConstrainAfterThinking(parsed.Request) };

    /// <summary>OpenAI's <c>tools</c> (functions only), <c>tool_choice</c> (none, auto, required or {type: function, function: {name}})
    /// and <c>parallel_tool_calls</c>; the choice comes back as "none", "auto", "required" or the function's name.</summary>
    private static (List<ToolDefinition> Tools, string Choice, bool Parallel) Tools(JsonElement body)
    {
        var tools = new List<ToolDefinition>();
        if (body.TryGetProperty("tools", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter("tools", "'tools' must be an array of {\"type\": \"function\", \"function\": {…}}");
            int i = 0;
            foreach (var tool in list.EnumerateArray())
            {
                string where = $"tools[{i++}]";
                if (tool.ValueKind != JsonValueKind.Object || JsonFields.String(tool, "type") != "function")
                    throw ApiException.BadParameter($"{where}.type", $"'{where}.type' must be 'function' (the only tool type this server runs)");
                if (!tool.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
                    throw ApiException.BadParameter($"{where}.function", $"'{where}.function' must be an object with 'name'");
                string name = JsonFields.String(f, "name") ?? throw ApiException.BadParameter($"{where}.function.name", $"'{where}.function.name' is required");
                if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                    throw ApiException.BadParameter($"{where}.function.name", $"'{where}.function.name' must be 1–64 letters, digits, '_' or '-', got '{name}'");
                if (tools.Any(t => t.Name == name)) throw ApiException.BadParameter($"{where}.function.name", $"two tools are named '{name}'");
                JsonFields.Bool(f, "strict");
                var parameters = f.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null
                    ? p.ValueKind == JsonValueKind.Object ? p.Clone() : throw ApiException.BadParameter($"{where}.function.parameters", $"'{where}.function.parameters' must be a JSON schema object")
                    : JsonDocument.Parse("""{"type": "object"}""").RootElement.Clone();
                tools.Add(new ToolDefinition(name, JsonFields.String(f, "description"), parameters));
            }
        }
        string choice = tools.Count > 0 ? "auto" : "none";
        if (body.TryGetProperty("tool_choice", out var tc) && tc.ValueKind != JsonValueKind.Null)
        {
            if (tc.ValueKind == JsonValueKind.String)
            {
                choice = tc.GetString()!;
                if (choice is not ("none" or "auto" or "required"))
                    throw ApiException.BadParameter("tool_choice", $"'tool_choice' must be 'none', 'auto', 'required' or {{\"type\": \"function\", \"function\": {{\"name\": …}}}}, got '{choice}'");
            }
            else if (tc.ValueKind == JsonValueKind.Object && JsonFields.String(tc, "type") == "function"
                && tc.TryGetProperty("function", out var named) && named.ValueKind == JsonValueKind.Object && JsonFields.String(named, "name") is { } n)
            {
                choice = tools.Any(t => t.Name == n) ? n : throw ApiException.BadParameter("tool_choice", $"'tool_choice' names the function '{n}', which is not in 'tools'");
            }
            else
            {
                throw ApiException.BadParameter("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": …}}");
            }
            if (choice != "none" && tools.Count == 0)
                throw ApiException.BadParameter("tool_choice", $"'tool_choice' is '{choice}' but the request has no 'tools'");
        }
        bool parallel = JsonFields.Bool(body, "parallel_tool_calls") ?? true;
        return (tools, choice, parallel);
    }

    public static ParsedGeneration ParseCompletion(JsonElement body, Model model)
    {
        RequireObject(body);
        CheckCommon(body, model);
        if (JsonFields.Has(body, "retrieval")) throw ApiException.BadParameter("retrieval", "'retrieval' grounds chat: send it to /v1/chat/completions (or use file_search on /v1/responses)");
        if (JsonFields.Bool(body, "echo") == true) throw ApiException.BadParameter("echo", "'echo' is not supported");
        if (JsonFields.String(body, "suffix") is { Length: > 0 }) throw ApiException.BadParameter("suffix", "'suffix' is not supported");
        IReadOnlyList<int> prompt;
        try
        {
            prompt = CompletionPrompt(body, model);
        }
        catch (UntokenizableTextException e)
        {
            throw ApiException.BadParameter("prompt", e.Message);
        }
        long? logprobs = JsonFields.Integer(body, "logprobs", 0, 5);
        long? maxTokens = JsonFields.Integer(body, "max_tokens", 1, int.MaxValue) ?? 16;
        return Build(body, model, prompt, maxTokens, "prompt", logprobs != null, (int)(logprobs ?? 0));
    }

    private static ParsedGeneration Build(JsonElement body, Model model, IReadOnlyList<int> prompt, long? maxTokens,
        string promptParam, bool logprobs, int top)
    {
        if (prompt.Count == 0) throw ApiException.BadParameter(promptParam, $"'{promptParam}' is empty");
        bool stream = JsonFields.Bool(body, "stream") ?? false;
        bool includeUsage = false;
        if (body.TryGetProperty("stream_options", out var so) && so.ValueKind != JsonValueKind.Null)
        {
            if (so.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter("stream_options", "'stream_options' must be an object");
            if (!stream) throw ApiException.BadParameter("stream_options", "'stream_options' is only allowed with 'stream': true");
            includeUsage = so.TryGetProperty("include_usage", out var iu) && iu.ValueKind != JsonValueKind.Null
                ? iu.ValueKind is JsonValueKind.True or JsonValueKind.False ? iu.GetBoolean()
                    : throw ApiException.BadParameter("stream_options.include_usage", "'stream_options.include_usage' must be a boolean")
                : false;
        }
        var request = new GenerationRequest
        {
            PromptTokens = prompt,
            MaxTokens = (int?)maxTokens,
            Sampling = Sampling(body, model.Tokenizer.VocabularySize),
            StopStrings = JsonFields.Stop(body, MaxStopStrings, MaxStopLength),
            TopLogprobs = logprobs ? top : -1,
            IgnoreEndOfGeneration = JsonFields.Bool(body, "ignore_eos") ?? false,
            Grammar = Constraint(body),
            Quality = Quality(body),
        };
        request = Speculative(body, model, request, logprobs);
        return new ParsedGeneration(request, stream, includeUsage, logprobs, top, promptParam);
    }

    /// <summary>The extension <c>quality</c>: <c>"auto"</c> (absent: the KV precision follows the server's load under
    /// <c>--adaptive</c>), <c>"full"</c> (never reduced) or <c>"fast"</c> (always the reduced precision; 400 from a server without
    /// <c>--adaptive</c>, where the engine names the fix).</summary>
    private static Wafer.Engine.Adaptive.KvQuality Quality(JsonElement body) => JsonFields.String(body, "quality") switch
    {
        null or "auto" => Wafer.Engine.Adaptive.KvQuality.Auto,
        "full" => Wafer.Engine.Adaptive.KvQuality.Full,
        "fast" => Wafer.Engine.Adaptive.KvQuality.Fast,
        var other => throw ApiException.BadParameter("quality", $"'quality' must be \"auto\", \"full\" or \"fast\", got \"{other}\""),
    };

    /// <summary>Speculative decoding per request: OpenAI's <c>prediction</c> (<c>{"type": "content", "content": text or text
    /// parts}</c>: Predicted Outputs, whose tokens the n-gram proposer looks up first; it turns n-gram drafts on for the
    /// request) and the extension <c>speculative</c> (<c>false</c>/<c>"none"</c> off, <c>true</c>/<c>"ngram"</c> n-gram drafts;
    /// absent = the server's <c>--spec</c>). Both need the chosen tokens' logprobs off, since a request that asks for logprobs
    /// never drafts (a 400 rather than a prediction silently unused).</summary>
    private static GenerationRequest Speculative(JsonElement body, Model model, GenerationRequest request, bool logprobs)
    {
        SpeculationMethod? method = null;
        if (body.TryGetProperty("speculative", out var spec) && spec.ValueKind != JsonValueKind.Null)
        {
            method = spec.ValueKind switch
            {
                JsonValueKind.True => SpeculationMethod.Ngram,
                JsonValueKind.False => SpeculationMethod.None,
                JsonValueKind.String when spec.GetString() == "ngram" => SpeculationMethod.Ngram,
                JsonValueKind.String when spec.GetString() == "none" => SpeculationMethod.None,
                _ => throw ApiException.BadParameter("speculative", "'speculative' must be true, false, \"ngram\" or \"none\""),
            };
        }
        int[]? prediction = null;
        if (body.TryGetProperty("prediction", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Object || JsonFields.String(p, "type") != "content" || !p.TryGetProperty("content", out var content))
                throw ApiException.BadParameter("prediction", "'prediction' must be {\"type\": \"content\", \"content\": …} with a string or text parts");
            string text = content.ValueKind switch
            {
                JsonValueKind.String => content.GetString()!,
                JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(part =>
                    part.ValueKind == JsonValueKind.Object && JsonFields.String(part, "type") == "text" && JsonFields.String(part, "text") is { } t ? t
                        : throw ApiException.BadParameter("prediction.content", "'prediction.content' parts must be {\"type\": \"text\", \"text\": …}"))),
                _ => throw ApiException.BadParameter("prediction.content", "'prediction.content' must be a string or an array of text parts"),
            };
            if (method == SpeculationMethod.None) throw ApiException.BadParameter("prediction", "'prediction' needs speculation, which 'speculative' turns off");
            try
            {
                prediction = [.. model.Tokenizer.Encode(text, addSpecial: false, parseSpecial: false)];
            }
            catch (UntokenizableTextException e)
            {
                throw ApiException.BadParameter("prediction.content", e.Message);
            }
            method ??= SpeculationMethod.Ngram;
        }
        if (logprobs && (prediction != null || method == SpeculationMethod.Ngram))
            throw ApiException.BadParameter(prediction != null ? "prediction" : "speculative", "speculative decoding (a 'prediction' or 'speculative') cannot be combined with 'logprobs'");
        return method == null && prediction == null ? request : request with { Speculation = method, PredictionTokens = prediction };
    }

    private static SamplingOptions Sampling(JsonElement body, int vocabularySize)
    {
        long? seed = JsonFields.Integer(body, "seed", long.MinValue, long.MaxValue);
        return new SamplingOptions
        {
            Temperature = (float)(JsonFields.Number(body, "temperature", 0, 2) ?? SamplingDefaults.Temperature),
            TopP = (float)(JsonFields.Number(body, "top_p", 1e-9, 1) ?? SamplingDefaults.TopP),
            // top_k ≤ 0 turns it off, as in llama-server and vLLM (-1).
            TopK = JsonFields.Integer(body, "top_k", -1, int.MaxValue) is long k ? (int)Math.Max(k, 0) : SamplingDefaults.TopK,
            MinP = (float)(JsonFields.Number(body, "min_p", 0, 1) ?? SamplingDefaults.MinP),
            RepetitionPenalty = (float)(JsonFields.Number(body, "repetition_penalty", 1e-3, 10) ?? SamplingDefaults.RepetitionPenalty),
            PresencePenalty = (float)(JsonFields.Number(body, "presence_penalty", -2, 2) ?? SamplingDefaults.Penalty),
            FrequencyPenalty = (float)(JsonFields.Number(body, "frequency_penalty", -2, 2) ?? SamplingDefaults.Penalty),
            LogitBias = JsonFields.LogitBias(body, vocabularySize),
            Seed = seed is long s ? unchecked((ulong)s) : null,
        };
    }

    private static void RequireObject(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
    }

    private static void CheckCommon(JsonElement body, Model model)
    {
        string? name = JsonFields.String(body, "model");
        if (name != null && name != model.Name)
            throw new ApiException(404, $"The model '{name}' does not exist; this server serves '{model.Name}'", param: "model", code: "model_not_found");
        if (JsonFields.Integer(body, "n", 1, 128) is > 1) throw ApiException.BadParameter("n", "only 'n': 1 is supported");
        JsonFields.String(body, "user");
        RejectUnimplemented(body);
    }

    /// <summary>OpenAI fields that change what a response must be and that Wafer does not implement yet: a 400 naming them,
    /// never a silent answer that ignores them. Their neutral values (no tools, text format, text modality) pass.</summary>
    private static void RejectUnimplemented(JsonElement body)
    {
        if (body.TryGetProperty("functions", out var functions) && functions.ValueKind != JsonValueKind.Null && !(functions.ValueKind == JsonValueKind.Array && functions.GetArrayLength() == 0))
            throw ApiException.BadParameter("functions", "'functions' (the deprecated form of tool calling) is not supported; send them as 'tools'");
        if (body.TryGetProperty("function_call", out var call) && call.ValueKind != JsonValueKind.Null && !(call.ValueKind == JsonValueKind.String && call.GetString() is "none" or "auto"))
            throw ApiException.BadParameter("function_call", "'function_call' (the deprecated form of tool calling) is not supported; use 'tool_choice'");
        if (body.TryGetProperty("modalities", out var modalities) && modalities.ValueKind != JsonValueKind.Null
            && !(modalities.ValueKind == JsonValueKind.Array && modalities.EnumerateArray().All(m => m.ValueKind == JsonValueKind.String && m.GetString() == "text")))
            throw ApiException.BadParameter("modalities", "this server answers in text only: 'modalities' may only be [\"text\"]");
        foreach (string name in (string[])["audio"])
            if (JsonFields.Has(body, name)) throw ApiException.BadParameter(name, $"'{name}' is not supported by this server");
        if (JsonFields.Integer(body, "best_of", 1, 128) is > 1) throw ApiException.BadParameter("best_of", "only 'best_of': 1 is supported");
    }

    /// <summary>The grammar the output must follow: OpenAI's <c>response_format</c> (<c>json_object</c>, or <c>json_schema</c>
    /// with <c>{name, schema, strict}</c>), or llama-server's extensions <c>grammar</c> (GBNF text), <c>json_schema</c> (a schema)
    /// and <c>response_format: {"type": "json_object", "schema": …}</c>; at most one of them. Null for free text.</summary>
    private static Grammar? Constraint(JsonElement body)
    {
        var asked = new List<(string Param, Func<Grammar> Compile)>();
        if (body.TryGetProperty("response_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            if (format.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter("response_format", "'response_format' must be an object such as {\"type\": \"json_object\"}");
            string? type = JsonFields.String(format, "type");
            switch (type)
            {
                case "text":
                    break;
                case "json_object":
                    if (format.TryGetProperty("schema", out var inline) && inline.ValueKind != JsonValueKind.Null)
                        asked.Add(("response_format.schema", () => JsonSchemaGrammar.Compile(inline)));
                    else
                        asked.Add(("response_format", () => Grammar.Parse(JsonGrammars.Object)));
                    break;
                case "json_schema":
                    if (!format.TryGetProperty("json_schema", out var spec) || spec.ValueKind != JsonValueKind.Object)
                        throw ApiException.BadParameter("response_format.json_schema", "'response_format.json_schema' is required with type 'json_schema': {\"name\": …, \"schema\": {…}}");
                    if (JsonFields.String(spec, "name") is null)
                        throw ApiException.BadParameter("response_format.json_schema.name", "'response_format.json_schema.name' is required");
                    JsonFields.Bool(spec, "strict");
                    if (!spec.TryGetProperty("schema", out var schema) || schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True))
                        throw ApiException.BadParameter("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON schema object");
                    asked.Add(("response_format.json_schema.schema", () => JsonSchemaGrammar.Compile(schema)));
                    break;
                default:
                    throw ApiException.BadParameter("response_format.type", $"'response_format.type' must be 'text', 'json_object' or 'json_schema', got '{type}'");
            }
        }
        if (JsonFields.String(body, "grammar") is { } gbnf) asked.Add(("grammar", () => Grammar.Parse(gbnf)));
        if (body.TryGetProperty("json_schema", out var extension) && extension.ValueKind != JsonValueKind.Null)
        {
            if (extension.ValueKind is not (JsonValueKind.Object or JsonValueKind.True)) throw ApiException.BadParameter("json_schema", "'json_schema' must be a JSON schema object");
            asked.Add(("json_schema", () => JsonSchemaGrammar.Compile(extension)));
        }
        if (asked.Count == 0) return null;
        if (asked.Count > 1)
            throw ApiException.BadParameter(asked[1].Param, $"give one output constraint, not several: {string.Join(", ", asked.Select(a => $"'{a.Param}'"))}");
        try
        {
            return asked[0].Compile();
        }
        catch (GrammarException e)
        {
            throw ApiException.BadParameter(asked[0].Param, e.Message);
        }
    }

    /// <summary>The messages as the template reads them: roles checked, content parts joined into strings.</summary>
    private static JsonElement NormalizeMessages(JsonElement body, string? toolInstructions = null)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw ApiException.BadParameter("messages", "'messages' must be an array of {role, content} objects");
        if (messages.GetArrayLength() == 0) throw ApiException.BadParameter("messages", "'messages' must not be empty");
        var normalized = new List<Dictionary<string, object?>>();
        int index = 0;
        foreach (var m in messages.EnumerateArray())
        {
            string where = $"messages[{index++}]";
            if (m.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter(where, $"'{where}' must be an object");
            if (!m.TryGetProperty("role", out var roleValue) || roleValue.ValueKind != JsonValueKind.String)
                throw ApiException.BadParameter($"{where}.role", $"'{where}.role' is required and must be a string");
            string role = roleValue.GetString()!;
            if (!Roles.Contains(role)) throw ApiException.BadParameter($"{where}.role", $"'{where}.role' must be one of {string.Join(", ", Roles)}, got '{role}'");
            var message = new Dictionary<string, object?> { ["role"] = role == "developer" ? "system" : role, ["content"] = Content(m, where) };
            if (role == "assistant" && m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null)
                message["tool_calls"] = TemplateToolCalls(calls, $"{where}.tool_calls");
            if (role == "tool")
            {
                message["tool_call_id"] = JsonFields.String(m, "tool_call_id") ?? throw ApiException.BadParameter($"{where}.tool_call_id", $"'{where}.tool_call_id' is required on a tool message");
                if (JsonFields.String(m, "name") is { } name) message["name"] = name;
            }
            normalized.Add(message);
        }
        if (toolInstructions != null) ToolCallFormat.AddInstructions(normalized, toolInstructions);
        return JsonSerializer.SerializeToElement(normalized);
    }

    /// <summary>An assistant message's tool calls as chat templates read them (Hugging Face's convention): arguments as an
    /// object where they are JSON, so templates that write <c>arguments | tojson</c> print them once, not as a quoted string.</summary>
    private static List<Dictionary<string, object?>> TemplateToolCalls(JsonElement calls, string where)
    {
        if (calls.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter(where, $"'{where}' must be an array");
        var list = new List<Dictionary<string, object?>>();
        int i = 0;
        foreach (var call in calls.EnumerateArray())
        {
            string at = $"{where}[{i++}]";
            if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
                throw ApiException.BadParameter(at, $"'{at}' must be {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}");
            string name = JsonFields.String(f, "name") ?? throw ApiException.BadParameter($"{at}.function.name", $"'{at}.function.name' is required");
            object? arguments = null;
            if (f.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String)
            {
                try
                {
                    using var doc = JsonDocument.Parse(a.GetString()!);
                    arguments = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    arguments = a.GetString();
                }
            }
            else if (a.ValueKind == JsonValueKind.Object) arguments = a.Clone();
            list.Add(new Dictionary<string, object?>
            {
                ["id"] = JsonFields.String(call, "id") ?? $"call_{i}",
                ["type"] = "function",
                ["function"] = new Dictionary<string, object?> { ["name"] = name, ["arguments"] = arguments ?? new Dictionary<string, object?>() },
            });
        }
        return list;
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

    private static IReadOnlyList<int> CompletionPrompt(JsonElement body, Model model)
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
