using System.Text.Json;

namespace Wafer.Models.ChatTemplates;

/// <summary>Converts System.Text.Json documents into template values (objects keep their key order).</summary>
internal static class JsonValueConverter
{
    public static Value FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var dict = Value.NewDict();
                foreach (var property in element.EnumerateObject())
                {
                    dict.AsDict[Value.FromString(property.Name)] = FromJson(property.Value);
                }

                return dict;
            case JsonValueKind.Array:
                return Value.FromList([.. element.EnumerateArray().Select(FromJson)]);
            case JsonValueKind.String:
                return Value.FromString(element.GetString()!);
            case JsonValueKind.Number:
                return element.TryGetInt64(out var integer) ? Value.FromInt(integer) : Value.FromDouble(element.GetDouble());
            case JsonValueKind.True:
                return Value.True;
            case JsonValueKind.False:
                return Value.False;
            case JsonValueKind.Null:
                return Value.None;
            default:
                return Value.Undefined;
        }
    }

    /// <summary>The <c>from_json</c> filter: parses JSON text into a value.</summary>
    public static Value Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return FromJson(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new TemplateRuntimeException($"from_json: invalid JSON: {ex.Message}", ex);
        }
    }
}
