namespace Wafer.Tests;

/// <summary>Paths inside this repository (the folder with Wafer.slnx above the test binaries): its own files serve as a
/// real corpus for the retrieval tests.</summary>
internal static class Repository
{
    /// <summary>The repository's root folder (the one with Wafer.slnx).</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Wafer.slnx"))) return dir.FullName;
            throw new InvalidOperationException("the repository root (Wafer.slnx) is not above the test binaries");
        }
    }

    /// <summary>The repository's docs/ folder.</summary>
    public static string Docs => System.IO.Path.Combine(Root, "docs");

    /// <summary>The embedded default model (models/stories260K-Q8_0.gguf), committed with the repository: tests that need a
    /// real model file but not the fixtures use it.</summary>
    public static string DefaultModel => System.IO.Path.Combine(Root, "models", "stories260K-Q8_0.gguf");
}
