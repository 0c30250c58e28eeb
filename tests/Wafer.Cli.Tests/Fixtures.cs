namespace Wafer.Cli.Tests;

/// <summary>Finds the shared fixtures (../shared from the repo root, or WAFER_FIXTURES) and skips tests when they are absent.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string?> Root = new(Find);

    public static string Path(string relative)
    {
        if (Root.Value == null) Assert.Skip("fixtures folder not found (expected ../shared from the repo root, or set WAFER_FIXTURES)");
        string path = System.IO.Path.Combine(Root.Value!, relative);
        if (!File.Exists(path) && !Directory.Exists(path)) Assert.Skip($"fixture '{relative}' not found under {Root.Value}");
        return path;
    }

    private static string? Find()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("WAFER_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnv)) return Directory.Exists(fromEnv) ? fromEnv : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Wafer.slnx")))
            {
                string candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        return null;
    }
}
