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

public class AdmissionControllerTests
{
    [Fact]
    public void Admit_BeyondRunningPlusQueue_429WithRetryAfter()
    {
        var admission = new AdmissionController(maxRunning: 2, maxQueue: 1, maxQueueTokens: 1000);
        var leases = Enumerable.Range(0, 3).Select(_ => admission.Admit(10)).ToList();

        var e = Assert.Throws<ApiException>(() => admission.Admit(10));

        Assert.Equal(429, e.Status);
        Assert.True(e.RetryAfterSeconds >= 1);
        leases[0].Dispose();
        using var again = admission.Admit(10);
        Assert.Equal(3, admission.Admitted);
    }

    [Fact]
    public void Admit_QueuedPromptTokensOverLimit_429()
    {
        var admission = new AdmissionController(maxRunning: 1, maxQueue: 10, maxQueueTokens: 100);
        using var running = admission.Admit(90);
        var e = Assert.Throws<ApiException>(() => admission.Admit(20));
        Assert.Contains("prompt tokens", e.Message);
        running.MarkStarted();
        using var fits = admission.Admit(20);
    }
}
