using Wafer.Models.Gguf;

namespace Wafer.Hub;

/// <summary>What a pull left on disk: the model's files in the snapshot folder (the first part first for a split model),
/// the commit they belong to, and how many bytes this pull downloaded (0 when the cache already had them).</summary>
public sealed record PulledModel(ModelReference Reference, string Commit, IReadOnlyList<string> Paths, long BytesDownloaded)
{
    /// <summary>The path to open: the whole file, or a split model's first part.</summary>
    public string Path => Paths[0];
}

/// <summary>Pulls a GGUF model from the hub into the Hugging Face cache layout: lists the repository, picks the file by
/// quant tag (all parts of a split file), reuses blobs the cache has, downloads the rest and links the snapshot.
/// Offline it answers from the cache alone.</summary>
public sealed class ModelPuller(HubSettings settings, HubClient client)
{
    /// <summary>The quant a reference without one gets when the repository has several.</summary>
    public const string DefaultQuant = "Q4_K_M";

    private readonly HubCache _cache = new(settings.CacheDirectory);

    /// <summary>Pulls <paramref name="reference"/> at <paramref name="revision"/>.</summary>
    public async Task<PulledModel> PullAsync(ModelReference reference, string revision = "main",
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (settings.Offline) return FromCache(reference, revision)
            ?? throw new HubException($"{reference} is not in the cache ({_cache.Root}) and HF_HUB_OFFLINE is set: unset it to download, or pull it on a machine with network.");
        var listing = await client.ListFilesAsync(reference.Repository, revision, cancellationToken).ConfigureAwait(false);
        var chosen = Choose(reference, listing);
        long before = client.BytesDownloaded;
        string? commit = null;
        var paths = new List<string>();
        foreach (var file in chosen)
        {
            var meta = await client.GetMetadataAsync(reference.Repository, revision, file.Path, cancellationToken).ConfigureAwait(false);
            commit ??= meta.Commit;
            string blob = _cache.BlobPath(reference.Repository, meta.Etag);
            if (!File.Exists(blob))
                await client.DownloadAsync(reference.Repository, meta.Commit, file.Path, meta, blob, progress, cancellationToken).ConfigureAwait(false);
            paths.Add(_cache.Link(reference.Repository, meta.Commit, file.Path, meta.Etag));
        }
        _cache.WriteRef(reference.Repository, revision, commit!);
        return new PulledModel(reference, commit!, paths, client.BytesDownloaded - before);
    }

    /// <summary>The model as the cache holds it at <paramref name="revision"/>, or null.</summary>
    public PulledModel? FromCache(ModelReference reference, string revision = "main") => FromCache(_cache, reference, revision);

    /// <summary>The model as <paramref name="cache"/> holds it at <paramref name="revision"/>, or null; reads the disk only.</summary>
    public static PulledModel? FromCache(HubCache cache, ModelReference reference, string revision = "main")
    {
        string? commit = cache.ResolveRevision(reference.Repository, revision);
        if (commit == null) return null;
        var files = cache.SnapshotFiles(reference.Repository, commit)
            .Select(f => new HubFile(f, 0, null)).ToList();
        IReadOnlyList<HubFile> chosen;
        try { chosen = Choose(reference, files); }
        catch (HubException) { return null; }
        var paths = chosen.Select(f => cache.SnapshotPath(reference.Repository, commit, f.Path)).ToList();
        return paths.All(File.Exists) ? new PulledModel(reference, commit, paths, 0) : null;
    }

    /// <summary>The files of <paramref name="listing"/> that make the model <paramref name="reference"/> names: the named
    /// file, or the GGUF file whose name carries the quant tag (every part of a split one), or the only model there is.</summary>
    public static IReadOnlyList<HubFile> Choose(ModelReference reference, IReadOnlyList<HubFile> listing)
    {
        var models = listing.Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
                && !System.IO.Path.GetFileName(f.Path).Contains("mmproj", StringComparison.OrdinalIgnoreCase))
            .GroupBy(f => SplitName.Parse(f.Path) is { } s ? s.Prefix : f.Path, StringComparer.Ordinal)
            .Select(g => g.OrderBy(f => f.Path, StringComparer.Ordinal).ToList())
            .ToList();
        if (reference.FilePath != null)
        {
            var named = models.FirstOrDefault(g => g.Any(f => f.Path == reference.FilePath));
            return named ?? throw new HubException($"{reference.Repository} has no file {reference.FilePath}; its GGUF files: {Describe(models)}.");
        }
        if (models.Count == 0) throw new HubException($"{reference.Repository} has no GGUF file: pick a repository with .gguf files (often named …-GGUF).");
        string? quant = reference.Quant;
        if (quant == null)
        {
            if (models.Count == 1) return models[0];
            quant = DefaultQuant;
        }
        var matching = models.Where(g => QuantTag.Matches(g[0].Path, quant)).ToList();
        if (matching.Count == 0)
            throw new HubException($"{reference.Repository} has no {quant} file; available: {Describe(models)}. Pick one with {reference.Repository}:QUANT.");
        if (matching.Count > 1)
            throw new HubException($"{reference.Repository} has {matching.Count} {quant} files ({string.Join(", ", matching.Select(g => g[0].Path))}); name one with {reference.Repository}/FILE.gguf.");
        return matching[0];
    }

    private static string Describe(List<List<HubFile>> models) =>
        models.Count == 0 ? "none" : string.Join(", ", models.Select(g => QuantTag.FromFileName(g[0].Path) ?? g[0].Path).Distinct());
}
