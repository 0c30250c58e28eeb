using System.Text.RegularExpressions;

namespace Wafer.Hub;

/// <summary>A model on the Hugging Face hub as a user names it: <c>org/name</c>, <c>org/name:Q4_K_M</c> (a quantization,
/// as llama.cpp's <c>-hf</c> and Ollama's <c>hf.co/…</c> take it) or <c>org/name/path/file.gguf</c>; an <c>hf.co/</c>,
/// <c>huggingface.co/</c> or <c>https://huggingface.co/</c> prefix is accepted.</summary>
public sealed partial record ModelReference(string Repository, string? Quant, string? FilePath)
{
    /// <summary>How the model is named in listings: <c>org/name:QUANT</c>, or <c>org/name/file.gguf</c>.</summary>
    public override string ToString() => FilePath != null ? $"{Repository}/{FilePath}" : Quant != null ? $"{Repository}:{Quant}" : Repository;

    /// <summary>Parses <paramref name="text"/>, or returns null when it is not a hub name (a local path, say).</summary>
    public static ModelReference? TryParse(string text)
    {
        string s = text.Trim();
        foreach (var prefix in (string[])["https://huggingface.co/", "http://huggingface.co/", "huggingface.co/", "hf.co/"])
            if (s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) s = s[prefix.Length..];
        if (s.StartsWith('/') || s.StartsWith('.') || s.StartsWith('~') || s.Contains('\\')) return null;
        string? quant = null;
        int colon = s.LastIndexOf(':');
        if (colon >= 0)
        {
            quant = s[(colon + 1)..];
            s = s[..colon];
            if (!QuantPattern().IsMatch(quant)) return null;
        }
        var parts = s.Split('/');
        if (parts.Length < 2 || parts.Take(2).Any(p => !NamePattern().IsMatch(p))) return null;
        string repo = parts[0] + "/" + parts[1];
        if (parts.Length == 2) return new ModelReference(repo, quant, null);
        string file = string.Join('/', parts.Skip(2));
        if (quant != null || !file.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || parts.Skip(2).Any(p => p is "" or "." or ".."))
            return null;
        return new ModelReference(repo, null, file);
    }

    /// <summary>Parses <paramref name="text"/>, failing with the forms accepted.</summary>
    public static ModelReference Parse(string text) => TryParse(text)
        ?? throw new HubException($"'{text}' is not a Hugging Face model name; use org/name, org/name:QUANT (e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M) or org/name/file.gguf");

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex QuantPattern();
}
