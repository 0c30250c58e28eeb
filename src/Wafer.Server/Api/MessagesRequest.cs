using System.Text.Json;

namespace Wafer.Server.Api;

/// <summary>Turns a <c>POST /v1/messages</c> body (the Anthropic Messages API) into the equivalent chat completions body,
/// so both share one parser, template, constraint and tool path; what has no equivalent here is a 400 naming it.</summary>
/// <remarks>
/// system (a string or text blocks) → a system message; messages with text, <c>tool_use</c> (assistant) and
/// <c>tool_result</c> (user) blocks → chat messages with tool calls and tool messages; max_tokens (required), temperature,
/// top_p, top_k, stop_sequences → their chat fields; tools with <c>input_schema</c> → function tools; tool_choice
/// auto/any/tool/none (and disable_parallel_tool_use) → auto/required/named/none.
/// </remarks>
internal static class MessagesRequest
{
    private static readonly HashSet<string> Known = ["model", "keep_alive", "messages", "system", "max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "stream", "tools", "tool_choice", "metadata", "thinking", "service_tier", "quality"];

    public static JsonElement ToChat(JsonElement body, bool countOnly = false)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
        foreach (var property in body.EnumerateObject())
            if (!Known.Contains(property.Name) && property.Value.ValueKind != JsonValueKind.Null)
                throw ApiException.BadParameter(property.Name, $"'{property.Name}' is not supported by this server's Messages API");
        if (body.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.Object && JsonFields.String(thinking, "type") != "disabled")
            throw ApiException.BadParameter("thinking", "extended thinking is not supported by this server's Messages API yet; send 'thinking': {\"type\": \"disabled\"} or leave it out");
        var chat = new Dictionary<string, object?>();
        if (JsonFields.String(body, "model") is { } model) chat["model"] = model;
        if (!countOnly)
        {
            chat["max_tokens"] = JsonFields.Integer(body, "max_tokens", 1, int.MaxValue) ?? throw ApiException.BadParameter("max_tokens", "'max_tokens' is required");
            foreach (string name in (string[])["temperature", "top_p", "top_k", "stream", "quality"])
                if (body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null) chat[name] = v.Clone();
            if (body.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number && t.GetDouble() > 1)
                throw ApiException.BadParameter("temperature", "'temperature' must be in [0, 1] on the Messages API");
            if (body.TryGetProperty("stop_sequences", out var stops) && stops.ValueKind != JsonValueKind.Null) chat["stop"] = stops.Clone();
        }
        var messages = new List<object>();
        if (body.TryGetProperty("system", out var system) && system.ValueKind != JsonValueKind.Null)
            messages.Add(new Dictionary<string, object?> { ["role"] = "system", ["content"] = Text(system, "system") });
        if (!body.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw ApiException.BadParameter("messages", "'messages' must be a non-empty array of {role, content}");
        int i = 0;
        foreach (var m in list.EnumerateArray())
        {
            string where = $"messages[{i++}]";
            string role = m.ValueKind == JsonValueKind.Object ? JsonFields.String(m, "role") ?? "" : "";
            if (role is not ("user" or "assistant" or "system")) throw ApiException.BadParameter($"{where}.role", $"'{where}.role' must be 'user', 'assistant' or 'system'");
            if (!m.TryGetProperty("content", out var content)) throw ApiException.BadParameter($"{where}.content", $"'{where}.content' is required");
            if (content.ValueKind == JsonValueKind.String)
            {
                messages.Add(new Dictionary<string, object?> { ["role"] = role, ["content"] = content.GetString() });
                continue;
            }
            if (content.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter($"{where}.content", $"'{where}.content' must be a string or an array of content blocks");
            var text = new System.Text.StringBuilder();
            var calls = new List<object>();
            int b = 0;
            foreach (var block in content.EnumerateArray())
            {
                string at = $"{where}.content[{b++}]";
                switch (block.ValueKind == JsonValueKind.Object ? JsonFields.String(block, "type") : null)
                {
                    case "text":
                        text.Append(JsonFields.String(block, "text"));
                        break;
                    case "tool_use" when role == "assistant":
                        calls.Add(new Dictionary<string, object?>
                        {
                            ["id"] = JsonFields.String(block, "id") ?? throw ApiException.BadParameter($"{at}.id", $"'{at}.id' is required"),
                            ["type"] = "function",
                            ["function"] = new Dictionary<string, object?>
                            {
                                ["name"] = JsonFields.String(block, "name") ?? throw ApiException.BadParameter($"{at}.name", $"'{at}.name' is required"),
                                ["arguments"] = block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}",
                            },
                        });
                        break;
                    case "tool_result" when role == "user":
                        messages.Add(new Dictionary<string, object?>
                        {
                            ["role"] = "tool",
                            ["tool_call_id"] = JsonFields.String(block, "tool_use_id") ?? throw ApiException.BadParameter($"{at}.tool_use_id", $"'{at}.tool_use_id' is required"),
                            ["content"] = block.TryGetProperty("content", out var result) && result.ValueKind != JsonValueKind.Null ? Text(result, $"{at}.content") : "",
                        });
                        break;
                    case var type:
                        throw ApiException.BadParameter($"{at}.type", $"content blocks of type '{type}' are not supported here ({(role == "user" ? "text and tool_result" : "text and tool_use")} are; this model reads text only)");
                }
            }
            if (text.Length > 0 || calls.Count > 0 || role == "assistant")
            {
                var message = new Dictionary<string, object?> { ["role"] = role, ["content"] = text.ToString() };
                if (calls.Count > 0) message["tool_calls"] = calls;
                messages.Add(message);
            }
        }
        chat["messages"] = messages;
        if (body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            var chatTools = new List<object>();
            int k = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                string at = $"tools[{k++}]";
                if (tool.ValueKind != JsonValueKind.Object || (JsonFields.String(tool, "type") is { } type && type != "custom"))
                    throw ApiException.BadParameter($"{at}.type", $"'{at}' must be a client tool {{name, description, input_schema}} (server tools are not available here)");
                var function = new Dictionary<string, object?> { ["name"] = JsonFields.String(tool, "name") };
                if (JsonFields.String(tool, "description") is { } d) function["description"] = d;
                if (tool.TryGetProperty("input_schema", out var schema)) function["parameters"] = schema.Clone();
                chatTools.Add(new Dictionary<string, object?> { ["type"] = "function", ["function"] = function });
            }
            chat["tools"] = chatTools;
        }
        if (body.TryGetProperty("tool_choice", out var choice) && choice.ValueKind == JsonValueKind.Object)
        {
            chat["tool_choice"] = JsonFields.String(choice, "type") switch
            {
                "auto" => "auto",
                "any" => "required",
                "none" => "none",
                "tool" => new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = JsonFields.String(choice, "name") } },
                var other => throw ApiException.BadParameter("tool_choice.type", $"'tool_choice.type' must be auto, any, tool or none, got '{other}'"),
            };
            if (JsonFields.Bool(choice, "disable_parallel_tool_use") == true) chat["parallel_tool_calls"] = false;
        }
        return JsonSerializer.SerializeToElement(chat);
    }

    private static string Text(JsonElement value, string where)
    {
        if (value.ValueKind == JsonValueKind.String) return value.GetString()!;
        if (value.ValueKind != JsonValueKind.Array) throw ApiException.BadParameter(where, $"'{where}' must be a string or an array of text blocks");
        var text = new System.Text.StringBuilder();
        foreach (var block in value.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || JsonFields.String(block, "type") != "text")
                throw ApiException.BadParameter(where, $"'{where}' may hold text blocks only");
            text.Append(JsonFields.String(block, "text"));
        }
        return text.ToString();
    }
}
