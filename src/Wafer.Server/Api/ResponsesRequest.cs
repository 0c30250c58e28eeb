using System.Text.Json;

namespace Wafer.Server.Api;

/// <summary>Turns a <c>POST /v1/responses</c> body (the OpenAI Responses API, stateless subset) into the equivalent chat
/// completions body, so both APIs share one parser, template path, constraint and tool handling; fields with no chat
/// equivalent here are a 400 naming them.</summary>
/// <remarks>
/// input: a string (one user message) or items: messages (<c>{"role", "content"}</c> with a string or
/// <c>input_text</c>/<c>output_text</c> parts, <c>"type": "message"</c> optional), <c>function_call</c> (an assistant's call:
/// <c>call_id</c>, <c>name</c>, <c>arguments</c>) and <c>function_call_output</c> (<c>call_id</c>, <c>output</c>).
/// instructions → a system message first; max_output_tokens → max_tokens; text.format → response_format; function tools and
/// tool_choice in the Responses shape → the chat shape; a <c>file_search</c> tool (over the served knowledge base, whose
/// name is its one vector store id) → the chat extension <c>retrieval: {k: max_num_results, filter: filters}</c>.
/// previous_response_id and store: true need stored state: 400.
/// </remarks>
internal static class ResponsesRequest
{
    private static readonly HashSet<string> Passed = ["model", "keep_alive", "temperature", "top_p", "stream", "parallel_tool_calls", "seed", "top_k", "min_p", "user", "metadata", "stop", "quality"];
    private static readonly HashSet<string> Handled = ["input", "instructions", "max_output_tokens", "text", "tools", "tool_choice", "previous_response_id", "store", "truncation", "include"];

    /// <summary>The chat body; <paramref name="knowledgeBaseId"/> is the served knowledge base's name (null without one).</summary>
    public static JsonElement ToChat(JsonElement body, string? knowledgeBaseId = null)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
        foreach (var property in body.EnumerateObject())
            if (!Passed.Contains(property.Name) && !Handled.Contains(property.Name) && property.Value.ValueKind != JsonValueKind.Null)
                throw ApiException.BadParameter(property.Name, $"'{property.Name}' is not supported by this server's Responses API");
        if (JsonFields.String(body, "previous_response_id") != null)
            throw ApiException.BadParameter("previous_response_id", "this server stores no responses, so 'previous_response_id' cannot be resolved; send the whole conversation in 'input'");
        if (JsonFields.Bool(body, "store") == true)
            throw ApiException.BadParameter("store", "this server stores no responses; send 'store': false or leave it out");
        if (JsonFields.String(body, "truncation") is { } t && t != "disabled")
            throw ApiException.BadParameter("truncation", "only 'truncation': 'disabled' is supported (a prompt over the context is a 400)");
        if (body.TryGetProperty("include", out var include) && include.ValueKind == JsonValueKind.Array)
            foreach (var value in include.EnumerateArray())
                if (value.ValueKind != JsonValueKind.String || value.GetString() != IncludeSearchResults)
                    throw ApiException.BadParameter("include", $"'include' may hold only '{IncludeSearchResults}' here, got {value.GetRawText()}");

        var chat = new Dictionary<string, object?>();
        foreach (var property in body.EnumerateObject())
            if (Passed.Contains(property.Name) && property.Name != "metadata") chat[property.Name] = property.Value.Clone();
        var messages = new List<object>();
        if (JsonFields.String(body, "instructions") is { } instructions) messages.Add(new Dictionary<string, object?> { ["role"] = "system", ["content"] = instructions });
        Input(body, messages);
        chat["messages"] = messages;
        if (JsonFields.Integer(body, "max_output_tokens", 1, int.MaxValue) is long max) chat["max_tokens"] = max;
        if (body.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.Object && text.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object)
            chat["response_format"] = Format(format);
        if (body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            var (functions, retrieval) = Tools(tools, knowledgeBaseId);
            if (functions.Count > 0) chat["tools"] = functions;
            if (retrieval != null) chat["retrieval"] = retrieval;
        }
        if (body.TryGetProperty("tool_choice", out var choice) && choice.ValueKind == JsonValueKind.String && choice.GetString() == "none")
            chat.Remove("retrieval"); // no tool at all, the file search included
        if (body.TryGetProperty("tool_choice", out choice) && choice.ValueKind != JsonValueKind.Null && !ChoosesFileSearch(choice, chat))
            chat["tool_choice"] = ToolChoice(choice);
        return JsonSerializer.SerializeToElement(chat);
    }

    private static void Input(JsonElement body, List<object> messages)
    {
        if (!body.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
            throw ApiException.BadParameter("input", "'input' is required: a string or an array of input items");
        if (input.ValueKind == JsonValueKind.String)
        {
            messages.Add(new Dictionary<string, object?> { ["role"] = "user", ["content"] = input.GetString() });
            return;
        }
        if (input.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter("input", "'input' must be a string or an array of input items");
        int i = 0;
        Dictionary<string, object?>? pendingCalls = null; // consecutive function_call items form one assistant message
        foreach (var item in input.EnumerateArray())
        {
            string where = $"input[{i++}]";
            if (item.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter(where, $"'{where}' must be an object");
            string type = JsonFields.String(item, "type") ?? "message";
            switch (type)
            {
                case "message":
                    pendingCalls = null;
                    string role = JsonFields.String(item, "role") ?? throw ApiException.BadParameter($"{where}.role", $"'{where}.role' is required");
                    messages.Add(new Dictionary<string, object?> { ["role"] = role, ["content"] = Content(item, where) });
                    break;
                case "function_call":
                    var call = new Dictionary<string, object?>
                    {
                        ["id"] = JsonFields.String(item, "call_id") ?? throw ApiException.BadParameter($"{where}.call_id", $"'{where}.call_id' is required"),
                        ["type"] = "function",
                        ["function"] = new Dictionary<string, object?>
                        {
                            ["name"] = JsonFields.String(item, "name") ?? throw ApiException.BadParameter($"{where}.name", $"'{where}.name' is required"),
                            ["arguments"] = JsonFields.String(item, "arguments") ?? "{}",
                        },
                    };
                    if (pendingCalls == null)
                    {
                        pendingCalls = new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new List<object>() };
                        messages.Add(pendingCalls);
                    }
                    ((List<object>)pendingCalls["tool_calls"]!).Add(call);
                    break;
                case "function_call_output":
                    pendingCalls = null;
                    messages.Add(new Dictionary<string, object?>
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = JsonFields.String(item, "call_id") ?? throw ApiException.BadParameter($"{where}.call_id", $"'{where}.call_id' is required"),
                        ["content"] = item.TryGetProperty("output", out var o) ? o.ValueKind == JsonValueKind.String ? o.GetString() : o.GetRawText() : "",
                    });
                    break;
                default:
                    throw ApiException.BadParameter($"{where}.type", $"input items of type '{type}' are not supported (message, function_call and function_call_output are)");
            }
        }
    }

    private static object? Content(JsonElement item, string where)
    {
        if (!item.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString();
        if (content.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter($"{where}.content", $"'{where}.content' must be a string or an array of text parts");
        var text = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            string? type = part.ValueKind == JsonValueKind.Object ? JsonFields.String(part, "type") : null;
            if (type is not ("input_text" or "output_text" or "text"))
                throw ApiException.BadParameter($"{where}.content", $"'{where}.content' parts must be input_text or output_text; this model reads text only (got '{type}')");
            text.Append(JsonFields.String(part, "text"));
        }
        return text.ToString();
    }

    private static object Format(JsonElement format) => JsonFields.String(format, "type") switch
    {
        "json_schema" => new Dictionary<string, object?>
        {
            ["type"] = "json_schema",
            ["json_schema"] = new Dictionary<string, object?>
            {
                ["name"] = JsonFields.String(format, "name") ?? throw ApiException.BadParameter("text.format.name", "'text.format.name' is required with type 'json_schema'"),
                ["schema"] = format.TryGetProperty("schema", out var s) ? s.Clone() : throw ApiException.BadParameter("text.format.schema", "'text.format.schema' is required with type 'json_schema'"),
                ["strict"] = JsonFields.Bool(format, "strict"),
            },
        },
        "text" or "json_object" => format.Clone(),
        var other => throw ApiException.BadParameter("text.format.type", $"'text.format.type' must be text, json_object or json_schema, got '{other}'"),
    };

    /// <summary>The <c>include</c> value that adds the chunks found to a <c>file_search_call</c> item.</summary>
    public const string IncludeSearchResults = "file_search_call.results";

    // Function tools in the chat shape, and a file_search tool as the chat's retrieval field.
    private static (List<object> Functions, Dictionary<string, object?>? Retrieval) Tools(JsonElement tools, string? knowledgeBaseId)
    {
        var list = new List<object>();
        Dictionary<string, object?>? retrieval = null;
        int i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            string where = $"tools[{i++}]";
            if (tool.ValueKind == JsonValueKind.Object && JsonFields.String(tool, "type") == "file_search")
            {
                if (retrieval != null) throw ApiException.BadParameter(where, "only one file_search tool may be given");
                retrieval = FileSearch(tool, where, knowledgeBaseId);
                continue;
            }
            if (tool.ValueKind != JsonValueKind.Object || JsonFields.String(tool, "type") != "function")
                throw ApiException.BadParameter($"{where}.type", $"'{where}.type' must be 'function' or 'file_search' (other built-in tools such as web_search are not available here)");
            var function = new Dictionary<string, object?> { ["name"] = JsonFields.String(tool, "name") };
            if (JsonFields.String(tool, "description") is { } d) function["description"] = d;
            if (tool.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null) function["parameters"] = p.Clone();
            list.Add(new Dictionary<string, object?> { ["type"] = "function", ["function"] = function });
        }
        return (list, retrieval);
    }

    // {type: file_search, vector_store_ids: [the knowledge base's name], max_num_results, filters: {path_prefix}}.
    private static Dictionary<string, object?> FileSearch(JsonElement tool, string where, string? knowledgeBaseId)
    {
        if (knowledgeBaseId == null)
            throw ApiException.BadParameter($"{where}.type", "this server has no knowledge base for file_search; start it with --kb kb.sqlite --embed-model E.gguf (build one with wafer index add)");
        foreach (var property in tool.EnumerateObject())
            if (property.Name is not ("type" or "vector_store_ids" or "max_num_results" or "filters") && property.Value.ValueKind != JsonValueKind.Null)
                throw ApiException.BadParameter($"{where}.{property.Name}", $"'{where}.{property.Name}' is not supported (vector_store_ids, max_num_results, filters)");
        if (!tool.TryGetProperty("vector_store_ids", out var ids) || ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() == 0)
            throw ApiException.BadParameter($"{where}.vector_store_ids", $"'{where}.vector_store_ids' is required: [\"{knowledgeBaseId}\"], this server's knowledge base");
        foreach (var id in ids.EnumerateArray())
            if (id.ValueKind != JsonValueKind.String || id.GetString() != knowledgeBaseId)
                throw ApiException.BadParameter($"{where}.vector_store_ids", $"unknown vector store {id.GetRawText()}; this server has one knowledge base, '{knowledgeBaseId}'");
        long k;
        try
        {
            k = JsonFields.Integer(tool, "max_num_results", 1, RetrievalSpec.MaxK) ?? RetrievalSpec.DefaultK;
        }
        catch (ApiException e)
        {
            throw e.Renamed(("max_num_results", $"{where}.max_num_results"));
        }
        var retrieval = new Dictionary<string, object?> { ["k"] = k };
        if (RetrievalSpec.ReadPathPrefix(tool, "filters", $"{where}.filters") is { } prefix) retrieval["filter"] = new Dictionary<string, object?> { ["path_prefix"] = prefix };
        return retrieval;
    }

    // A file_search tool always searches (before generation), so a choice of it, or of any tool when it is the only one, is met.
    private static bool ChoosesFileSearch(JsonElement choice, Dictionary<string, object?> chat) =>
        chat.ContainsKey("retrieval") && (choice.ValueKind == JsonValueKind.String && !chat.ContainsKey("tools")
            || choice.ValueKind == JsonValueKind.Object && JsonFields.String(choice, "type") == "file_search");

    private static object ToolChoice(JsonElement choice) =>
        choice.ValueKind == JsonValueKind.Object && JsonFields.String(choice, "type") == "function" && JsonFields.String(choice, "name") is { } name
            ? new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = name } }
            : choice.Clone();
}
