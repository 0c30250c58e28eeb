namespace Wafer.Tests;

/// <summary>Finds the shared fixtures (../shared from the repo root, or WAFER_FIXTURES) and skips tests when they are absent.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string?> LazyRoot = new(Find);

    /// <summary>The fixtures folder, or null when it cannot be found.</summary>
    public static string? Root => LazyRoot.Value;

    /// <summary>Path of a fixture file or folder relative to the fixtures root; skips the calling test when it is absent.</summary>
    public static string Path(string relative)
    {
        if (Missing(relative) is string reason) Assert.Skip(reason);
        return System.IO.Path.Combine(Root!, relative);
    }

    /// <summary>Why the fixture <paramref name="relative"/> cannot be used, or null when it is there (for code that must not skip
    /// itself, such as a class fixture: its tests skip instead).</summary>
    public static string? Missing(string relative)
    {
        if (Root == null) return "fixtures folder not found (expected ../shared from the repo root, or set WAFER_FIXTURES)";
        string path = System.IO.Path.Combine(Root, relative);
        return File.Exists(path) || Directory.Exists(path) ? null : $"fixture '{relative}' not found under {Root}";
    }

    private static string? Find()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("WAFER_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnv)) return Directory.Exists(fromEnv) ? fromEnv : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Wafer.slnx")))
            {
                string candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }
        return null;
    }
}
