using System.Text.RegularExpressions;

namespace Wafer.Hub;

/// <summary>The Hugging Face hub cache on disk, the layout <c>huggingface_hub</c>, llama.cpp and others share:
/// <c>models--org--name/blobs/ETAG</c> holds each file's bytes once, <c>snapshots/COMMIT/PATH</c> links to it, and
/// <c>refs/REVISION</c> holds the commit a branch or tag pointed at when it was last pulled.</summary>
public sealed partial class HubCache(string root)
{
    /// <summary>The cache's root folder.</summary>
    public string Root { get; } = root;

    /// <summary>The folder of one repository.</summary>
    public string RepositoryFolder(string repository) => Path.Combine(Root, "models--" + repository.Replace("/", "--", StringComparison.Ordinal));

    /// <summary>Where the blob with <paramref name="etag"/> lives.</summary>
    public string BlobPath(string repository, string etag) => Path.Combine(RepositoryFolder(repository), "blobs", etag);

    /// <summary>Where <paramref name="filePath"/> of <paramref name="commit"/> appears.</summary>
    public string SnapshotPath(string repository, string commit, string filePath) =>
        Path.Combine(RepositoryFolder(repository), "snapshots", commit, filePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The commit <paramref name="revision"/> resolved to when last pulled (a commit hash is its own), or null.</summary>
    public string? ResolveRevision(string repository, string revision)
    {
        if (CommitPattern().IsMatch(revision)) return Directory.Exists(Path.Combine(RepositoryFolder(repository), "snapshots", revision)) ? revision : null;
        string refFile = Path.Combine(RepositoryFolder(repository), "refs", revision);
        if (!File.Exists(refFile)) return null;
        string commit = File.ReadAllText(refFile).Trim();
        return CommitPattern().IsMatch(commit) ? commit : null;
    }

    /// <summary>Records that <paramref name="revision"/> points at <paramref name="commit"/>.</summary>
    public void WriteRef(string repository, string revision, string commit)
    {
        if (revision == commit) return;
        string refFile = Path.Combine(RepositoryFolder(repository), "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
        File.WriteAllText(refFile, commit);
    }

    /// <summary>The files of a snapshot that exist (their blobs are there), as repository paths with '/'.</summary>
    public IReadOnlyList<string> SnapshotFiles(string repository, string commit)
    {
        string dir = Path.Combine(RepositoryFolder(repository), "snapshots", commit);
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(File.Exists)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Makes <paramref name="filePath"/> of <paramref name="commit"/> point at the blob <paramref name="etag"/> (a relative
    /// symbolic link, as huggingface_hub makes; a copy where links cannot be made).</summary>
    public string Link(string repository, string commit, string filePath, string etag)
    {
        string target = SnapshotPath(repository, commit, filePath), blob = BlobPath(repository, etag);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target) || new FileInfo(target).LinkTarget != null) File.Delete(target);
        try
        {
            File.CreateSymbolicLink(target, Path.GetRelativePath(Path.GetDirectoryName(target)!, blob));
        }
        catch (IOException)
        {
            File.Copy(blob, target, overwrite: true);
        }
        return target;
    }

    /// <summary>Repositories in the cache (org/name).</summary>
    public IEnumerable<string> Repositories()
    {
        if (!Directory.Exists(Root)) yield break;
        foreach (var dir in Directory.EnumerateDirectories(Root, "models--*").Order(StringComparer.Ordinal))
        {
            var parts = Path.GetFileName(dir)["models--".Length..].Split("--");
            if (parts.Length == 2) yield return parts[0] + "/" + parts[1];
        }
    }

    /// <summary>Every commit with a snapshot, the ones named by a ref first.</summary>
    public IEnumerable<(string Commit, IReadOnlyList<string> Refs)> Snapshots(string repository)
    {
        string snapshots = Path.Combine(RepositoryFolder(repository), "snapshots"), refs = Path.Combine(RepositoryFolder(repository), "refs");
        if (!Directory.Exists(snapshots)) yield break;
        var byCommit = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (Directory.Exists(refs))
            foreach (var file in Directory.EnumerateFiles(refs, "*", SearchOption.AllDirectories))
            {
                string commit = File.ReadAllText(file).Trim();
                if (!byCommit.TryGetValue(commit, out var names)) byCommit[commit] = names = [];
                names.Add(Path.GetRelativePath(refs, file).Replace(Path.DirectorySeparatorChar, '/'));
            }
        foreach (var dir in Directory.EnumerateDirectories(snapshots).OrderBy(d => byCommit.ContainsKey(Path.GetFileName(d)) ? 0 : 1).ThenBy(d => d, StringComparer.Ordinal))
        {
            string commit = Path.GetFileName(dir);
            yield return (commit, byCommit.TryGetValue(commit, out var names) ? names : []);
        }
    }

    /// <summary>Removes <paramref name="filePaths"/> from every snapshot of <paramref name="repository"/>, and each blob no
    /// snapshot links to any more; a repository left empty goes entirely. Returns the bytes freed.</summary>
    public long Remove(string repository, IReadOnlyCollection<string> filePaths)
    {
        string repoDir = RepositoryFolder(repository), snapshots = Path.Combine(repoDir, "snapshots"), blobs = Path.Combine(repoDir, "blobs");
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        long freed = 0;
        foreach (var (commit, _) in Snapshots(repository).ToList())
            foreach (var file in filePaths)
            {
                string link = SnapshotPath(repository, commit, file);
                var info = new FileInfo(link);
                if (info.LinkTarget is { } target) candidates.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link)!, target)));
                else if (info.Exists) freed += info.Length;
                if (info.Exists || info.LinkTarget != null) File.Delete(link);
            }
        var stillLinked = new HashSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(snapshots))
            foreach (var link in Directory.EnumerateFiles(snapshots, "*", SearchOption.AllDirectories))
                if (new FileInfo(link).LinkTarget is { } target) stillLinked.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link)!, target)));
        foreach (var blob in candidates)
            if (!stillLinked.Contains(blob) && File.Exists(blob))
            {
                freed += new FileInfo(blob).Length;
                File.Delete(blob);
            }
        if (Directory.Exists(snapshots))
            foreach (var dir in Directory.EnumerateDirectories(snapshots, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
                if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        bool empty = !Directory.Exists(snapshots) || !Directory.EnumerateFileSystemEntries(snapshots).Any();
        if (empty && (!Directory.Exists(blobs) || !Directory.EnumerateFiles(blobs).Any(f => !f.EndsWith(".incomplete", StringComparison.Ordinal))))
            Directory.Delete(repoDir, recursive: true);
        return freed;
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
