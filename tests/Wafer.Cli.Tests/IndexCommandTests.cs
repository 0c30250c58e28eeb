using System.Text.Json;

namespace Wafer.Cli.Tests;

/// <summary><c>wafer index</c> end to end on this repository's docs: add, re-add (nothing re-embedded), search as JSON lines,
/// ls, rm, and the one-line errors.</summary>
public sealed class IndexCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-index-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AddSearchListRemove()
    {
        string model = Fixtures.Path("models/synth-bert-2L-128-F16.gguf");
        string docs = Path.Combine(_dir, "docs");
        Directory.CreateDirectory(docs);
        foreach (var f in Directory.GetFiles(Repository.Docs, "*.md")) File.Copy(f, Path.Combine(docs, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(docs, "notes.bin"), "not ingested");
        string db = Path.Combine(_dir, "kb.sqlite");

        var add = WaferProcess.Run("index", "add", "--db", db, "--embed-model", model, docs);
        CliAssert.Success(add);
        Assert.Contains("0 replaced, 0 unchanged", add.StdOut);
        var again = WaferProcess.Run("index", "add", "--db", db, "--embed-model", model, docs);
        CliAssert.Success(again);
        Assert.Contains("0 added, 0 replaced", again.StdOut);
        Assert.Contains("0 chunks embedded", again.StdOut);

        var search = WaferProcess.Run("index", "search", "--db", db, "--embed-model", model, "power-of-two least-outstanding routing", "-k", "3", "--json");
        CliAssert.Success(search);
        var hits = search.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, hits.Count);
        Assert.Contains(hits, h => h.GetProperty("Path").GetString()!.EndsWith("router.md", StringComparison.Ordinal));

        var ls = WaferProcess.Run("index", "ls", "--db", db);
        CliAssert.Success(ls);
        Assert.Contains("router.md", ls.StdOut);
        CliAssert.Success(WaferProcess.Run("index", "rm", "--db", db, Path.Combine(docs, "router.md")));
        Assert.DoesNotContain("router.md", WaferProcess.Run("index", "ls", "--db", db).StdOut);

        var missing = WaferProcess.Run("index", "ls", "--db", Path.Combine(_dir, "none.sqlite"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("wafer index add", missing.StdErr);
    }
}
