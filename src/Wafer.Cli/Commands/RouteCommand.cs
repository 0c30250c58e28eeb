using System.CommandLine;
using Wafer.Router.Hosting;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer route --config router.json</c>: one OpenAI-compatible endpoint over many backends.</summary>
internal static class RouteCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Router configuration (JSON; reloaded when it changes)", Required = true };
        var host = new Option<string>("--host") { Description = "Address to bind", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0 = any free port)", DefaultValueFactory = _ => 8090 };
        var command = new Command("route", "Route requests over many OpenAI-compatible backends (hedging, retries, cascade, affinity)")
        {
            config, host, port,
        };
        command.SetAction(r => Run(new RouterOptions { ConfigPath = r.GetValue(config)!, Host = r.GetValue(host)!, Port = r.GetValue(port) }));
        return command;
    }

    private static int Run(RouterOptions options)
    {
        var router = WaferRouter.StartAsync(options).GetAwaiter().GetResult();
        router.WaitForShutdownAsync().GetAwaiter().GetResult();
        router.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }
}
