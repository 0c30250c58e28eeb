using System.Text.Json;

namespace Wafer.Bench;

/// <summary>The JSON body of a streaming request in either OpenAI format, asking for usage in the last chunk.</summary>
internal static class RequestBody
{
    public static byte[] Create(BenchRequest request, string model, EndpointKind endpoint, bool ignoreEos)
    {
        using var buffer = new MemoryStream(request.Prompt.Length + (request.SystemPrompt?.Length ?? 0) + 256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            if (endpoint == EndpointKind.Chat)
            {
                json.WriteStartArray("messages");
                if (request.SystemPrompt != null) Message(json, "system", request.SystemPrompt);
                Message(json, "user", request.Prompt);
                json.WriteEndArray();
            }
            else
            {
                json.WriteString("prompt", request.SystemPrompt == null ? request.Prompt : request.SystemPrompt + "\n\n" + request.Prompt);
            }
            json.WriteNumber("max_tokens", request.MaxTokens);
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            json.WriteEndObject();
            // vLLM and llama-server honour ignore_eos; it makes every request produce max_tokens tokens.
            if (ignoreEos) json.WriteBoolean("ignore_eos", true);
            if (request.Greedy) json.WriteNumber("temperature", 0);
            if (request.Prediction != null)
            {
                json.WriteStartObject("prediction");
                json.WriteString("type", "content");
                json.WriteString("content", request.Prediction);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Message(Utf8JsonWriter json, string role, string content)
    {
        json.WriteStartObject();
        json.WriteString("role", role);
        json.WriteString("content", content);
        json.WriteEndObject();
    }
}
