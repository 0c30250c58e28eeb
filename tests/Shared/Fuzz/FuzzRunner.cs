using System.Globalization;

namespace Wafer.Tests.Fuzz;

/// <summary>Runs a fuzz target a fixed number of times (never a wall-clock budget) and collects the inputs on which it failed
/// the oracle: it must succeed or throw one of the documented bad-input exceptions, with a message.</summary>
/// <remarks><c>WAFER_FUZZ_ITERATIONS</c> overrides the count (the long mode behind the figures in docs/operations.md);
/// failing inputs are written to <c>$TMPDIR/wafer-fuzz-failures/</c> so that they can become corpus files.</remarks>
internal static class FuzzRunner
{
    /// <summary>The iteration count: <paramref name="defaultCount"/>, or WAFER_FUZZ_ITERATIONS when set.</summary>
    public static int Iterations(int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable("WAFER_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : defaultCount;

    /// <summary>Generates and runs <paramref name="iterations"/> inputs from <paramref name="seed"/>; fails the test listing the
    /// first failures (exception and input) when any input broke the oracle.</summary>
    public static FuzzReport Run(string target, int seed, int iterations, Func<Random, byte[]> generate, Action<byte[]> execute,
        Func<Exception, bool> isBadInput)
    {
        var random = new Random(seed);
        var report = new FuzzReport(target);
        for (int i = 0; i < iterations; i++)
        {
            byte[] input = generate(random);
            report.Executions++;
            try
            {
                execute(input);
                report.Accepted++;
            }
            catch (Exception e) when (isBadInput(e) && !string.IsNullOrWhiteSpace(e.Message))
            {
                report.Rejected++;
            }
            catch (Exception e)
            {
                report.Failures.Add((input, e));
            }
        }
        Print(report, seed);
        if (report.Failures.Count > 0) Assert.Fail(Describe(report, seed));
        return report;
    }

    private static void Print(FuzzReport report, int seed)
    {
        string line = $"fuzz {report.Target} seed {seed}: {report.Executions} executions, {report.Accepted} accepted, {report.Rejected} rejected as bad input, {report.Failures.Count} failures";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("WAFER_FUZZ_ITERATIONS") != null) Console.Error.WriteLine(line);
    }

    private static string Describe(FuzzReport report, int seed)
    {
        string dir = Path.Combine(Path.GetTempPath(), "wafer-fuzz-failures");
        Directory.CreateDirectory(dir);
        var lines = new List<string> { $"{report.Target} (seed {seed}): {report.Failures.Count} of {report.Executions} inputs broke the oracle" };
        int index = 0;
        foreach (var (input, e) in report.Failures.Take(5))
        {
            string file = Path.Combine(dir, $"{report.Target}-{seed}-{index++}.bin");
            File.WriteAllBytes(file, input);
            string preview = input.Length <= 160 ? Convert.ToBase64String(input) : $"{input.Length} bytes";
            lines.Add($"{e.GetType().Name}: {e.Message} (input {file}: {preview})\n{string.Join("\n", (e.StackTrace ?? "").Split('\n').Take(6))}");
        }
        return string.Join("\n", lines);
    }
}

/// <summary>What one fuzz run did: executions, inputs accepted, inputs rejected with a bad-input error, and failures.</summary>
internal sealed class FuzzReport(string target)
{
    public string Target { get; } = target;

    public int Executions { get; set; }

    public int Accepted { get; set; }

    public int Rejected { get; set; }

    public List<(byte[] Input, Exception Error)> Failures { get; } = [];
}
