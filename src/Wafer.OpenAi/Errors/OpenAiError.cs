using System.Text.Json;
using Wafer.OpenAi.Json;

namespace Wafer.OpenAi.Errors;

/// <summary>An error in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
/// <param name="Message">What went wrong and how to fix it.</param>
/// <param name="Type">OpenAI's category, e.g. <c>invalid_request_error</c> or <c>server_error</c>.</param>
/// <param name="Param">The request field at fault, when there is one.</param>
/// <param name="Code">A machine-readable code, e.g. <c>invalid_api_key</c>.</param>
public sealed record OpenAiError(string Message, string Type, string? Param = null, string? Code = null)
{
    /// <summary>Writes the whole <c>{"error": {…}}</c> object; absent param and code are written as null.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", Message);
        writer.WriteString("type", Type);
        if (Param != null) writer.WriteString("param", Param);
        else writer.WriteNull("param");
        if (Code != null) writer.WriteString("code", Code);
        else writer.WriteNull("code");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The error as UTF-8 JSON.</summary>
    public byte[] ToUtf8Json()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, OpenAiJsonOptions.Writer)) WriteTo(writer);
        return stream.ToArray();
    }

    /// <summary>Reads an error from a response body or stream event: OpenAI's <c>{"error": {…}}</c>, an <c>{"error": "text"}</c>,
    /// or the flat <c>{"object": "error", "message", …}</c> older vLLM sends. Null when the JSON holds no error.</summary>
    public static OpenAiError? TryParse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        if (root.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.String) return new OpenAiError(error.GetString()!, "");
            if (error.ValueKind == JsonValueKind.Object) return FromFields(error);
            return null;
        }
        return root.TryGetProperty("object", out var kind) && kind.ValueKind == JsonValueKind.String && kind.ValueEquals("error") ? FromFields(root) : null;
    }

    /// <summary>Reads an error from UTF-8 JSON; null when it is not JSON or holds no error.</summary>
    public static OpenAiError? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return TryParse(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static OpenAiError FromFields(JsonElement error) =>
        new(Text(error, "message") ?? error.ToString(), Text(error, "type") ?? "", Text(error, "param"), Text(error, "code"));

    private static string? Text(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }
}
