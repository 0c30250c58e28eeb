using System.Diagnostics;

namespace Wafer.Tests;

/// <summary>Runs the built <c>wafer</c> CLI as a real process, bounded in time.</summary>
internal static class WaferProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(params string[] args) => Run(TimeSpan.FromSeconds(120), args);

    public static Result Run(TimeSpan timeout, params string[] args) => Run(timeout, new Dictionary<string, string?>(), args);

    /// <summary>Runs with <paramref name="environment"/> set (a null value removes the variable).</summary>
    public static Result Run(TimeSpan timeout, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "wafer.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"wafer {string.Join(' ', args)} did not finish in {timeout.TotalSeconds} s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
