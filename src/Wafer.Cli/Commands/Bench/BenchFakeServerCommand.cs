using System.CommandLine;
using Wafer.Bench;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench fake-server [--port] [--ttft-ms] [--itl-ms] [--straggler-fraction] [--straggler-ms]</c>: an
/// OpenAI-compatible backend with a known token schedule and injected stragglers, to benchmark routers and load generators.</summary>
internal static class BenchFakeServerCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to bind", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0 = any free port)", DefaultValueFactory = _ => 8081 };
        var model = new Option<string>("--model") { Description = "Model name listed by /v1/models (any name is answered)", DefaultValueFactory = _ => "fake" };
        var ttft = new Option<double>("--ttft-ms") { Description = "Time to first token, ms", DefaultValueFactory = _ => 5 };
        var itl = new Option<double>("--itl-ms") { Description = "Time between tokens, ms", DefaultValueFactory = _ => 1 };
        var fraction = new Option<double>("--straggler-fraction") { Description = "Share of requests whose first token is late, e.g. 0.05", DefaultValueFactory = _ => 0 };
        var stragglerMs = new Option<double>("--straggler-ms") { Description = "Time to first token of a straggler, ms", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "Chooses which requests straggle (give replicas different seeds)", DefaultValueFactory = _ => 0 };
        var command = new Command("fake-server", "An OpenAI-compatible backend with a known token schedule and injected stragglers (for router and load-generator benchmarks)")
        {
            host, port, model, ttft, itl, fraction, stragglerMs, seed,
        };
        command.SetAction(r => Run(new FakeServerOptions
        {
            Host = r.GetValue(host)!,
            Port = r.GetValue(port),
            Model = r.GetValue(model)!,
            FirstTokenDelay = Milliseconds("--ttft-ms", r.GetValue(ttft)),
            TokenInterval = Milliseconds("--itl-ms", r.GetValue(itl)),
            StragglerFraction = r.GetValue(fraction),
            StragglerDelay = Milliseconds("--straggler-ms", r.GetValue(stragglerMs)),
            Seed = r.GetValue(seed),
        }));
        return command;
    }

    private static TimeSpan Milliseconds(string option, double value) =>
        value is >= 0 and < 3_600_000 ? TimeSpan.FromMilliseconds(value) : throw new ArgumentException($"{option} {value}: use milliseconds between 0 and 3600000");

    private static int Run(FakeServerOptions options)
    {
        var server = FakeOpenAiServer.StartAsync(options).GetAwaiter().GetResult();
        Console.WriteLine($"wafer fake-server: listening on {server.Url} (ttft {options.FirstTokenDelay.TotalMilliseconds} ms, itl {options.TokenInterval.TotalMilliseconds} ms, " +
            $"stragglers {options.StragglerFraction:P1} at {options.StragglerDelay.TotalMilliseconds} ms)");
        server.WaitForShutdownAsync().GetAwaiter().GetResult();
        Console.WriteLine($"wafer fake-server: {server.RequestCount} requests, {server.StragglerCount} stragglers, {server.CancelledCount} cancelled by the client");
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }
}
