namespace Wafer.Models.Tests.ChatTemplates;

/// <summary>Locates the shared fixture folder: env WAFER_FIXTURES, else ../shared next to the repository root.</summary>
internal static class Fixtures
{
    public static string? Root { get; } = Find();

    private static string? Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("WAFER_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wafer.slnx")))
            {
                var shared = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared"));
                return Directory.Exists(shared) ? shared : null;
            }
        }

        return null;
    }
}
