using Wafer.Models.Gguf;

namespace Wafer.Hub;

/// <summary>One model on this machine as <c>wafer ls</c> lists it: the name that serves it, its quantization, its size
/// (every part of a split file), where it came from, and its files (the first one is what to load).</summary>
/// <param name="Repository">The hub repository, for a model in the Hugging Face cache.</param>
/// <param name="RepositoryFiles">Its files as the repository names them, for a model in the Hugging Face cache.</param>
public sealed record LocalModelEntry(string Name, string? Quant, long Size, string Source, IReadOnlyList<string> Paths,
    string? Repository = null, IReadOnlyList<string>? RepositoryFiles = null)
{
    /// <summary>The file to load (the first part of a split model).</summary>
    public string Path => Paths[0];
}

/// <summary>The GGUF models already on this machine: the Hugging Face cache (what <c>wafer pull</c>, <c>huggingface-cli</c>
/// or llama.cpp's <c>-hf</c> downloaded), an Ollama store, and Wafer's own folder (<c>$WAFER_MODELS</c>). It lists them and
/// turns a name into a file without the network.</summary>
public sealed class ModelCatalog(HubCache hub, OllamaStore ollama, string? modelsDirectory)
{
    /// <summary>Sources, as <c>wafer ls</c> prints them.</summary>
    public const string HuggingFace = "huggingface", Ollama = "ollama", Local = "local";

    /// <summary>The catalog the environment describes (<c>HF_HOME</c>/<c>HF_HUB_CACHE</c>, <c>OLLAMA_MODELS</c>, <c>WAFER_MODELS</c>).</summary>
    public static ModelCatalog FromEnvironment(Func<string, string?> env, string? modelsDirectory) =>
        new(new HubCache(HubSettings.FromEnvironment(env).CacheDirectory), OllamaStore.FromEnvironment(env), modelsDirectory);

    public HubCache Hub => hub;

    public OllamaStore OllamaStore => ollama;

    /// <summary>Every model, Hugging Face cache first, then the Ollama store, then the models folder; each by name.</summary>
    public IReadOnlyList<LocalModelEntry> List()
    {
        var entries = new List<LocalModelEntry>();
        foreach (string repository in hub.Repositories()) entries.AddRange(HubModels(repository));
        foreach (var model in ollama.Models())
            entries.Add(new LocalModelEntry(model.Name, QuantOf(model.Path), model.Size, Ollama, [model.Path]));
        if (modelsDirectory != null) entries.AddRange(Folder(modelsDirectory));
        return entries;
    }

    /// <summary>The models of a folder of GGUF files (its subfolders too), each named by its path there without
    /// <c>.gguf</c>; a split model once, by its first part. None when the folder does not exist.</summary>
    public static IReadOnlyList<LocalModelEntry> Folder(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var entries = new List<LocalModelEntry>();
        foreach (var group in Models(Directory.EnumerateFiles(directory, "*.gguf", SearchOption.AllDirectories)))
        {
            string relative = System.IO.Path.GetRelativePath(directory, group[0]).Replace(System.IO.Path.DirectorySeparatorChar, '/');
            entries.Add(new LocalModelEntry(relative[..^".gguf".Length], QuantOf(group[0]), group.Sum(LengthOf), Local, group));
        }
        return entries;
    }

    /// <summary>The file <paramref name="name"/> stands for, without the network: an existing file; a hub name the Hugging
    /// Face cache holds (<c>org/name</c>, <c>org/name:QUANT</c>, <c>org/name/file.gguf</c>); a model of the models folder; an
    /// Ollama model (<c>llama3.2:1b</c>). Null when none has it.</summary>
    public string? Resolve(string name)
    {
        if (File.Exists(name)) return name;
        if (ModelReference.TryParse(name) is { } reference && ModelPuller.FromCache(hub, reference) is { } cached) return cached.Path;
        if (modelsDirectory != null && !System.IO.Path.IsPathRooted(name) && !name.Contains("..", StringComparison.Ordinal))
            foreach (string candidate in (string[])[System.IO.Path.Combine(modelsDirectory, name), System.IO.Path.Combine(modelsDirectory, name + ".gguf")])
                if (File.Exists(candidate)) return candidate;
        return ollama.Find(name)?.Path;
    }

    /// <summary>The models of one cached repository at the commit <c>main</c> points at (else its newest snapshot): each
    /// GGUF file (multimodal projectors left out; a split model once) named <c>org/name:QUANT</c> where the quant picks it
    /// alone, else <c>org/name/file.gguf</c>.</summary>
    private IEnumerable<LocalModelEntry> HubModels(string repository)
    {
        string? commit = hub.ResolveRevision(repository, "main") ?? hub.Snapshots(repository).Select(s => s.Commit).FirstOrDefault();
        if (commit == null) yield break;
        var files = hub.SnapshotFiles(repository, commit)
            .Where(f => f.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && !System.IO.Path.GetFileName(f).Contains("mmproj", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var groups = Models(files);
        var quants = groups.Select(g => QuantTag.FromFileName(g[0])).ToList();
        for (int i = 0; i < groups.Count; i++)
        {
            var paths = groups[i].Select(f => hub.SnapshotPath(repository, commit, f)).ToList();
            string? quant = quants[i];
            string name = quant != null && quants.Count(q => q == quant) == 1 ? $"{repository}:{quant}" : $"{repository}/{groups[i][0]}";
            yield return new LocalModelEntry(name, quant ?? QuantOf(paths[0]), paths.Sum(LengthOf), HuggingFace, paths, repository, groups[i]);
        }
    }

    /// <summary>GGUF files grouped into models: a whole file alone, the parts of a split one together in order (listed only
    /// when every part is there).</summary>
    private static List<List<string>> Models(IEnumerable<string> files)
    {
        var all = files.Order(StringComparer.Ordinal).ToList();
        var present = new HashSet<string>(all, StringComparer.Ordinal);
        var models = new List<List<string>>();
        foreach (string file in all)
        {
            if (SplitName.Parse(file) is not { } split)
            {
                models.Add([file]);
                continue;
            }
            if (split.Number != 1) continue;
            var parts = Enumerable.Range(1, split.Count).Select(split.PartPath).ToList();
            if (parts.All(present.Contains)) models.Add(parts);
        }
        return models;
    }

    /// <summary>The quantization the file name carries, else the one its <c>general.file_type</c> names, else null.</summary>
    private static string? QuantOf(string path)
    {
        if (QuantTag.FromFileName(path) is { } tag) return tag;
        try
        {
            using var file = GgufFile.Open(path);
            return QuantTag.FromFileType(file.Metadata.GetInt64OrDefault("general.file_type", -1));
        }
        catch (Exception e) when (e is IOException or GgufFormatException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A file's length, through a symbolic link (the cache's snapshots are links to blobs).</summary>
    private static long LengthOf(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target.Length : info.Length;
    }
}
