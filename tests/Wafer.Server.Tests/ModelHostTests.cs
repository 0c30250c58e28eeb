using Microsoft.AspNetCore.Http;
using Wafer.Server.Admission;
using Wafer.Server.Api;
using Wafer.Server.Endpoints;
using Wafer.Server.Hosting;

namespace Wafer.Server.Tests;

public class ModelHostTests
{
    private static ServerContext Loading(ModelHost host) =>
        new(host, new AdmissionController(1, 1, 100), new ServerOptions { ModelPath = "unused.gguf" }, new ServerMetrics(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    [Fact]
    public async Task Health_WhileLoading_503()
    {
        await using var host = new ModelHost(new TaskCompletionSource<Engine.LocalModel>().Task);
        var http = new DefaultHttpContext();
        http.Response.Body = new MemoryStream();

        await InfoEndpoints.HealthAsync(http, Loading(host));

        Assert.Equal(503, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        Assert.Contains("loading", new StreamReader(http.Response.Body).ReadToEnd());
    }

    [Fact]
    public async Task Require_WhileLoading_503WithRetryAfter()
    {
        await using var host = new ModelHost(new TaskCompletionSource<Engine.LocalModel>().Task);
        var e = Assert.Throws<ApiException>(() => host.Require());
        Assert.Equal(503, e.Status);
        Assert.Equal(1, e.RetryAfterSeconds);
    }

    [Fact]
    public async Task Require_LoadFailed_503NamesTheReason()
    {
        await using var host = new ModelHost(Task.FromException<Engine.LocalModel>(new InvalidDataException("bad magic")));
        var e = Assert.Throws<ApiException>(() => host.Require());
        Assert.Equal(503, e.Status);
        Assert.Contains("bad magic", e.Message);
    }
}
