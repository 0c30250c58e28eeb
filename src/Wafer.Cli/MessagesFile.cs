using System.Text.Json;

namespace Wafer.Cli;

/// <summary>A conversation read from JSON: an array of {role, content} messages, or an object with "messages" and optional "tools".</summary>
internal sealed record MessagesFile(JsonElement Messages, JsonElement? Tools)
{
    public static MessagesFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"messages file '{path}' does not exist; check --messages", path);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"messages file '{path}' is not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {FirstSentence(e.Message)}; fix the JSON", e);
        }

        return root.ValueKind switch
        {
            JsonValueKind.Array => new MessagesFile(Checked(path, root, "the top-level array"), null),
            JsonValueKind.Object => FromObject(path, root),
            _ => throw Invalid(path, $"its top level is a {root.ValueKind}", "a JSON array of messages or an object with \"messages\""),
        };
    }

    private static MessagesFile FromObject(string path, JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw Invalid(path, "its object has no \"messages\" array", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        JsonElement? tools = null;
        if (root.TryGetProperty("tools", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Array) throw Invalid(path, $"\"tools\" is a {t.ValueKind}", "an array of tool definitions");
            tools = t;
        }

        return new MessagesFile(Checked(path, messages, "\"messages\""), tools);
    }

    private static JsonElement Checked(string path, JsonElement messages, string where)
    {
        if (messages.GetArrayLength() == 0) throw Invalid(path, $"{where} is empty", "at least one message");
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
                throw Invalid(path, $"message {index} is a {message.ValueKind}", "an object such as {\"role\": \"user\", \"content\": \"Hi\"}");
            if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw Invalid(path, $"message {index} has no \"role\" string", "\"role\": \"system\" | \"user\" | \"assistant\" | \"tool\"");
            if (message.TryGetProperty("content", out var content) && content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
                throw Invalid(path, $"message {index}'s \"content\" is a {content.ValueKind}", "a string or an array of parts");
            index++;
        }

        return messages;
    }

    private static InvalidDataException Invalid(string path, string problem, string expected) =>
        new($"messages file '{path}': {problem}; expected {expected}");

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).TrimEnd('.', ' ');
    }
}
