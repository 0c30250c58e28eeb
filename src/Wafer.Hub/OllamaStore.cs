using System.Text.Json;

namespace Wafer.Hub;

/// <summary>A model in an Ollama store: its name as <c>ollama run</c> takes it, and the GGUF blob its manifest names.</summary>
public sealed record OllamaModel(string Name, string Path, long Size, string ManifestPath);

/// <summary>The models an Ollama store holds (<c>$OLLAMA_MODELS</c>, else <c>~/.ollama/models</c>), read, never written: each
/// manifest <c>manifests/HOST/NAMESPACE/MODEL/TAG</c> is an OCI manifest whose layer of media type
/// <c>application/vnd.ollama.image.model</c> is the model's GGUF file, stored as <c>blobs/sha256-HEX</c>.</summary>
public sealed class OllamaStore(string root)
{
    /// <summary>Ollama's default registry and namespace, left out of names as Ollama leaves them out.</summary>
    public const string DefaultHost = "registry.ollama.ai", DefaultNamespace = "library";

    private const string ModelLayer = "application/vnd.ollama.image.model";

    public string Root { get; } = root;

    /// <summary>The store the environment names: <c>OLLAMA_MODELS</c>, else <c>~/.ollama/models</c>.</summary>
    public static OllamaStore FromEnvironment(Func<string, string?> env) =>
        new(env("OLLAMA_MODELS") is { Length: > 0 } dir ? dir
            : System.IO.Path.Combine(env("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ollama", "models"));

    /// <summary>Every model whose manifest names a GGUF blob that is present, by name.</summary>
    public IReadOnlyList<OllamaModel> Models()
    {
        string manifests = System.IO.Path.Combine(Root, "manifests");
        if (!Directory.Exists(manifests)) return [];
        var models = new List<OllamaModel>();
        foreach (var file in Directory.EnumerateFiles(manifests, "*", SearchOption.AllDirectories))
        {
            var parts = System.IO.Path.GetRelativePath(manifests, file).Split(System.IO.Path.DirectorySeparatorChar);
            if (parts.Length != 4) continue;
            if (Read(file, Name(parts[0], parts[1], parts[2], parts[3])) is { } model) models.Add(model);
        }
        return [.. models.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    /// <summary>The model <paramref name="name"/> names (<c>[HOST/][NAMESPACE/]MODEL[:TAG]</c>, tag <c>latest</c> when left
    /// out), or null when the store has no such manifest.</summary>
    public OllamaModel? Find(string name)
    {
        if (Parse(name) is not { } n) return null;
        string manifest = System.IO.Path.Combine(Root, "manifests", n.Host, n.Namespace, n.Model, n.Tag);
        return File.Exists(manifest) ? Read(manifest, Name(n.Host, n.Namespace, n.Model, n.Tag)) : null;
    }

    /// <summary>The parts of an Ollama model name, or null when it cannot be one.</summary>
    public static (string Host, string Namespace, string Model, string Tag)? Parse(string name)
    {
        string s = name.Trim();
        if (s.Length == 0 || s.Contains('\\') || s.StartsWith('/') || s.StartsWith('.') || s.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return null;
        string tag = "latest";
        int colon = s.LastIndexOf(':');
        if (colon > s.LastIndexOf('/'))
        {
            tag = s[(colon + 1)..];
            s = s[..colon];
        }
        var parts = s.Split('/');
        if (parts.Any(p => p.Length == 0 || p is "." or "..") || tag.Length == 0 || tag.Contains('/')) return null;
        return parts.Length switch
        {
            1 => (DefaultHost, DefaultNamespace, parts[0], tag),
            2 => (DefaultHost, parts[0], parts[1], tag),
            3 => (parts[0], parts[1], parts[2], tag),
            _ => null,
        };
    }

    /// <summary>The short name Ollama lists: <c>MODEL:TAG</c> in its default registry and namespace.</summary>
    private static string Name(string host, string ns, string model, string tag) =>
        host == DefaultHost ? ns == DefaultNamespace ? $"{model}:{tag}" : $"{ns}/{model}:{tag}" : $"{host}/{ns}/{model}:{tag}";

    private OllamaModel? Read(string manifest, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            if (!doc.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array) return null;
            foreach (var layer in layers.EnumerateArray())
            {
                if (layer.ValueKind != JsonValueKind.Object || !layer.TryGetProperty("mediaType", out var type) || type.GetString() != ModelLayer) continue;
                if (!layer.TryGetProperty("digest", out var digest) || digest.GetString() is not { } d || !d.StartsWith("sha256:", StringComparison.Ordinal)) continue;
                string hex = d["sha256:".Length..];
                if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit)) continue;
                // Ollama names blobs sha256-HEX; older stores used sha256:HEX.
                foreach (string blob in (string[])[$"sha256-{hex}", $"sha256:{hex}"])
                {
                    string path = System.IO.Path.Combine(Root, "blobs", blob);
                    if (File.Exists(path)) return new OllamaModel(name, path, new FileInfo(path).Length, manifest);
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Not a manifest this reader understands: not listed.
        }
        return null;
    }
}
