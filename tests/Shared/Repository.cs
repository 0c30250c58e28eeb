namespace Wafer.Tests;

/// <summary>Paths inside this repository (the folder with Wafer.slnx above the test binaries): its own files serve as a
/// real corpus for the retrieval tests.</summary>
internal static class Repository
{
    /// <summary>The repository's docs/ folder.</summary>
    public static string Docs
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Wafer.slnx"))) return System.IO.Path.Combine(dir.FullName, "docs");
            throw new InvalidOperationException("the repository root (Wafer.slnx) is not above the test binaries");
        }
    }
}
