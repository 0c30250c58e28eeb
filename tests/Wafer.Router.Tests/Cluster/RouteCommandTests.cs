using System.Diagnostics;

namespace Wafer.Router.Tests.Cluster;

public sealed class RouteCommandTests
{
    private static (int ExitCode, string StdErr) Run(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wafer.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("wafer route did not exit in 30 s");
        }
        return (process.ExitCode, stderr.Result);
    }

    [Fact]
    public void Route_MissingConfig_OneLineErrorAndExitCode1()
    {
        var (code, stderr) = Run("route", "--config", "/nonexistent/router.json", "--port", "0");
        Assert.Equal(1, code);
        Assert.StartsWith("wafer: error: router config '/nonexistent/router.json' does not exist", stderr);
    }

    [Fact]
    public void Route_InvalidConfig_ErrorNamesFieldAndExitCode1()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"backends\": [{\"name\": \"r0\", \"url\": \"http://127.0.0.1:1\", \"models\": [\"m\"]}], \"routes\": [{\"model\": \"m\", \"backends\": [\"r0\"], \"policy\": \"fastest\"}]}");
        try
        {
            var (code, stderr) = Run("route", "--config", path, "--port", "0");
            Assert.Equal(1, code);
            Assert.Contains("routes[0].policy 'fastest' is unknown", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
