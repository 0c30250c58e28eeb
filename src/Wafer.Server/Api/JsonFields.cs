using System.Text.Json;

namespace Wafer.Server.Api;

/// <summary>Typed, range-checked reads of request fields; every failure names the parameter.</summary>
internal static class JsonFields
{
    public static bool Has(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public static double? Number(JsonElement body, string name, double min, double max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
            throw ApiException.BadParameter(name, $"'{name}' must be a number");
        if (d < min || d > max) throw ApiException.BadParameter(name, $"'{name}' must be between {min} and {max}, got {d}");
        return d;
    }

    public static long? Integer(JsonElement body, string name, long min, long max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
            throw ApiException.BadParameter(name, $"'{name}' must be an integer");
        if (n < min || n > max) throw ApiException.BadParameter(name, $"'{name}' must be between {min} and {max}, got {n}");
        return n;
    }

    public static bool? Bool(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiException.BadParameter(name, $"'{name}' must be a boolean"),
        };
    }

    public static string? String(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw ApiException.BadParameter(name, $"'{name}' must be a string");
    }

    /// <summary>"stop": a string or an array of at most <paramref name="maxCount"/> non-empty strings.</summary>
    public static IReadOnlyList<string> Stop(JsonElement body, int maxCount, int maxLength)
    {
        if (!body.TryGetProperty("stop", out var v) || v.ValueKind == JsonValueKind.Null) return [];
        var list = new List<string>();
        if (v.ValueKind == JsonValueKind.String) list.Add(v.GetString()!);
        else if (v.ValueKind == JsonValueKind.Array)
        {
            if (v.GetArrayLength() > maxCount) throw ApiException.BadParameter("stop", $"'stop' may hold at most {maxCount} strings, got {v.GetArrayLength()}");
            foreach (var s in v.EnumerateArray())
                list.Add(s.ValueKind == JsonValueKind.String ? s.GetString()! : throw ApiException.BadParameter("stop", "'stop' must be a string or an array of strings"));
        }
        else throw ApiException.BadParameter("stop", "'stop' must be a string or an array of strings");
        foreach (var s in list)
        {
            if (s.Length == 0) throw ApiException.BadParameter("stop", "'stop' strings must not be empty");
            if (s.Length > maxLength) throw ApiException.BadParameter("stop", $"'stop' strings may be at most {maxLength} characters long");
        }
        return list;
    }

    /// <summary>"logit_bias": {"token id": bias in [-100, 100]}.</summary>
    public static IReadOnlyDictionary<int, float>? LogitBias(JsonElement body, int vocabularySize)
    {
        if (!body.TryGetProperty("logit_bias", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) throw ApiException.BadParameter("logit_bias", "'logit_bias' must be an object mapping token ids to biases");
        var bias = new Dictionary<int, float>();
        foreach (var p in v.EnumerateObject())
        {
            if (!int.TryParse(p.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id) || id >= vocabularySize)
                throw ApiException.BadParameter("logit_bias", $"'logit_bias' key '{p.Name}' is not a token id of this model (0…{vocabularySize - 1})");
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double b) || b < -100 || b > 100)
                throw ApiException.BadParameter("logit_bias", $"'logit_bias' values must be numbers between -100 and 100 (token {id})");
            bias[id] = (float)b;
        }
        return bias;
    }
}
