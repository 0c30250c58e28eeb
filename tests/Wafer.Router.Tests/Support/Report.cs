namespace Wafer.Router.Tests.Support;

/// <summary>Measurement lines: to the test output and appended to router-measurements.txt next to the test binary (quoted in docs/router.md).</summary>
internal static class Report
{
    private static readonly Lock Gate = new();

    public static string FilePath => Path.Combine(AppContext.BaseDirectory, "router-measurements.txt");

    public static void Line(ITestOutputHelper output, string text)
    {
        output.WriteLine(text);
        lock (Gate) File.AppendAllText(FilePath, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z {text}{Environment.NewLine}");
    }
}
