namespace Wafer.Router.Tests.Cluster;

public sealed class RouteCommandTests
{
    [Fact]
    public void Route_MissingConfig_OneLineErrorAndExitCode1()
    {
        var r = WaferProcess.Run(TimeSpan.FromSeconds(30), "route", "--config", "/nonexistent/router.json", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("wafer: error: router config '/nonexistent/router.json' does not exist", r.StdErr);
    }

    [Fact]
    public void Route_InvalidConfig_ErrorNamesFieldAndExitCode1()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"backends\": [{\"name\": \"r0\", \"url\": \"http://127.0.0.1:1\", \"models\": [\"m\"]}], \"routes\": [{\"model\": \"m\", \"backends\": [\"r0\"], \"policy\": \"fastest\"}]}");
        try
        {
            var r = WaferProcess.Run(TimeSpan.FromSeconds(30), "route", "--config", path, "--port", "0");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("routes[0].policy 'fastest' is unknown", r.StdErr);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
