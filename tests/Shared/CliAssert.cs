namespace Wafer.Tests;

/// <summary>Assertions on a finished <c>wafer</c> process.</summary>
internal static class CliAssert
{
    /// <summary>Exit code 1 and exactly one stderr line, <c>wafer: error: …</c>, containing <paramref name="mustContain"/> and no stack trace.</summary>
    public static void OneLineError(WaferProcess.Result r, string mustContain)
    {
        Assert.Equal(1, r.ExitCode);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("wafer: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(mustContain, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);
    }

    /// <summary>Exit code 0 and nothing on stderr.</summary>
    public static void Success(WaferProcess.Result r) =>
        Assert.True(r.ExitCode == 0 && r.StdErr.Length == 0, $"exit {r.ExitCode}, stderr: {r.StdErr}");
}
