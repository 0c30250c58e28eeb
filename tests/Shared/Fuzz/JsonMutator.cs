using System.Text;
using System.Text.Json.Nodes;

namespace Wafer.Tests.Fuzz;

/// <summary>Structure-aware mutations of a valid JSON document: values replaced by other types, huge numbers, deep nesting,
/// duplicate keys, invalid UTF-8 and unpaired <c>\u</c> surrogate escapes in strings and keys, truncation — and, now and then,
/// the byte-level <see cref="Mutator"/> on top.</summary>
internal static class JsonMutator
{
    private static readonly string[] HugeNumbers =
    [
        "1e999", "-1e999", "1e-999", "123456789012345678901234567890", "-9223372036854775809", "18446744073709551616",
        "4294967296", "2147483648", "-2147483649", "0.00000000000000000000000000000000000000000001", "1E+308", "-0", "1.5", "NaN",
    ];

    private static readonly string[] BadEscapes = [@"\ud800", @"\udfff", @"\ud800\u0041", @"\udc00\ud800", @"\u00", @"\x41", @"\u0000", @"\uD83D"];

    public static byte[] Mutate(string seed, Random random, IReadOnlyList<byte[]> others)
    {
        string text = random.Next(3) == 0 ? seed : MutateTree(seed, random);
        var bytes = Encoding.UTF8.GetBytes(text);
        switch (random.Next(9))
        {
            case 0: return InString(bytes, random, Mutator.InvalidUtf8[random.Next(Mutator.InvalidUtf8.Length)]);
            case 1: return InString(bytes, random, Encoding.ASCII.GetBytes(BadEscapes[random.Next(BadEscapes.Length)]));
            case 2: return DuplicateKey(text, random);
            case 3: return Mutator.Mutate(bytes, random, others);
            case 4: return bytes[..random.Next(bytes.Length + 1)];
            default: return bytes;
        }
    }

    /// <summary><paramref name="depth"/> nested arrays or objects.</summary>
    public static string Deep(int depth, bool objects) => objects
        ? string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)
        : new string('[', depth) + new string(']', depth);

    private static byte[] InString(byte[] bytes, Random random, byte[] insert)
    {
        var quotes = new List<int>();
        for (int i = 0; i < bytes.Length; i++) if (bytes[i] == (byte)'"') quotes.Add(i);
        if (quotes.Count == 0) return bytes;
        int at = quotes[random.Next(quotes.Count)] + 1;
        return [.. bytes.AsSpan(0, at), .. insert, .. bytes.AsSpan(at)];
    }

    private static byte[] DuplicateKey(string text, Random random)
    {
        int brace = text.IndexOf("{\"", random.Next(Math.Max(1, text.Length / 2)), StringComparison.Ordinal);
        if (brace < 0) brace = text.IndexOf("{\"", StringComparison.Ordinal);
        if (brace < 0) return Encoding.UTF8.GetBytes(text);
        int end = text.IndexOf('"', brace + 2);
        if (end < 0) return Encoding.UTF8.GetBytes(text);
        string key = text[(brace + 2)..end];
        string value = random.Next(2) == 0 ? "null" : "\"dup\"";
        return Encoding.UTF8.GetBytes(text[..(brace + 1)] + $"\"{key}\":{value}," + text[(brace + 1)..]);
    }

    private static string MutateTree(string seed, Random random)
    {
        var root = JsonNode.Parse(seed);
        if (root == null) return seed;
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        int changes = 1 + random.Next(3);
        for (int i = 0; i < changes; i++)
        {
            var node = nodes[random.Next(nodes.Count)];
            var replacement = RandomValue(random);
            switch (node.Parent)
            {
                case JsonObject o:
                    o[node.GetPropertyName()] = replacement;
                    break;
                case JsonArray a:
                    a[node.GetElementIndex()] = replacement;
                    break;
                default:
                    continue;
            }
            nodes.Clear();
            Collect(root, nodes);
        }
        string text = root.ToJsonString();
        for (int i = 0; i < 2 && random.Next(3) == 0; i++) text = SpliceRaw(text, random);
        return text;
    }

    /// <summary>Replaces a JSON value's text with a huge number or deep nesting (which JsonNode could not hold).</summary>
    private static string SpliceRaw(string text, Random random)
    {
        int colon = text.IndexOf(':', random.Next(text.Length));
        if (colon < 0) return text;
        string raw = random.Next(3) == 0 ? Deep(random.Next(2) == 0 ? 10_000 : random.Next(30, 200), random.Next(2) == 0) : HugeNumbers[random.Next(HugeNumbers.Length)];
        int end = colon + 1;
        int depth = 0;
        bool inString = false;
        for (; end < text.Length; end++)
        {
            char c = text[end];
            if (inString) { if (c == '\\') end++; else if (c == '"') inString = false; continue; }
            if (c == '"') inString = true;
            else if (c is '[' or '{') depth++;
            else if (c is ']' or '}') { if (depth == 0) break; depth--; }
            else if (c == ',' && depth == 0) break;
        }
        return text[..(colon + 1)] + raw + text[end..];
    }

    private static JsonNode? RandomValue(Random random) => random.Next(9) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => JsonValue.Create(random.Next(-5, 100_000)),
        3 => JsonValue.Create(random.NextDouble() * 4 - 1),
        4 => JsonValue.Create(Mutator.RandomText(random, 40)),
        5 => new JsonArray(JsonValue.Create("x"), JsonValue.Create(1), new JsonObject { ["role"] = "user", ["content"] = "hi" }),
        6 => new JsonObject { ["type"] = random.Next(2) == 0 ? "text" : "image_url", ["text"] = Mutator.RandomText(random, 10) },
        7 => JsonValue.Create(new[] { "user", "assistant", "system", "tool", "developer", "" }[random.Next(6)]),
        _ => new JsonArray(),
    };

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        if (node.Parent != null) nodes.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o) if (child != null) Collect(child, nodes);
                break;
            case JsonArray a:
                foreach (var child in a) if (child != null) Collect(child, nodes);
                break;
        }
        if (nodes.Count == 0 && node.Parent == null) nodes.Add(node);
    }
}
