using System.Text.Json;

namespace Wafer.Models.Evaluation;

/// <summary>One llama.cpp golden completions file (golden/completions/MODEL.json).</summary>
public sealed record GoldenCompletions(string ModelFile, IReadOnlyDictionary<string, int> TensorTypes, IReadOnlyList<GoldenCase> Cases)
{
    /// <summary>The SHA-256 (lower-case hex) of the model file llama.cpp ran on, when the file records it.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Parses a golden completions file.</summary>
    public static GoldenCompletions Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        var types = model.GetProperty("tensor_types").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var cases = root.GetProperty("cases").EnumerateArray().Select(GoldenCase.Parse).ToList();
        string? sha = model.TryGetProperty("sha256", out var hash) ? hash.GetString() : null;
        return new GoldenCompletions(model.GetProperty("file").GetString()!, types, cases) { Sha256 = sha };
    }
}

/// <summary>One prompt of a golden file: its tokens, llama.cpp's greedy continuation and top-10 logprobs per step.</summary>
public sealed record GoldenCase(string Id, string Prompt, int[] PromptTokens, int[] GeneratedTokens, string GeneratedText, IReadOnlyList<GoldenStep> Steps)
{
    internal static GoldenCase Parse(JsonElement e) => new(
        e.GetProperty("id").GetString()!,
        e.GetProperty("prompt").GetString()!,
        e.GetProperty("prompt_tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray(),
        e.GetProperty("generated_tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray(),
        e.GetProperty("generated_text").GetString()!,
        e.GetProperty("steps").EnumerateArray().Select(GoldenStep.Parse).ToList());
}

/// <summary>The reference distribution that predicts one generated token.</summary>
public sealed record GoldenStep(int Index, int Token, float Top1Top2Gap, (int Id, float LogProb)[] Top)
{
    internal static GoldenStep Parse(JsonElement e) => new(
        e.GetProperty("i").GetInt32(),
        e.GetProperty("token").GetInt32(),
        e.GetProperty("top1_top2_gap").GetSingle(),
        e.GetProperty("top").EnumerateArray().Select(t => (t[0].GetInt32(), t[1].GetSingle())).ToArray());
}
