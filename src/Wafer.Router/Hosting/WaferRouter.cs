using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Wafer.OpenAi.Hosting;
using Wafer.Router.Backends;
using Wafer.Router.Configuration;
using Wafer.Router.Forwarding;

namespace Wafer.Router.Hosting;

/// <summary>The router: one OpenAI-compatible endpoint over many backends.</summary>
/// <remarks>
/// Step 1: load and validate router.json (errors name the field and the fix).
/// Step 2: build live state (backends with breakers, routes with policies and budgets).
/// Step 3: start Kestrel: /health, /v1/models, /metrics answered here; generation requests forwarded.
/// Step 4: in the background, probe backends, reload the config file when it changes and follow discovered replicas (<see cref="LiveConfig"/>).
/// </remarks>
public sealed class WaferRouter : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _background = [];
    private readonly HttpClient _client;
    private readonly RouterMetrics _metrics;

    private WaferRouter(WebApplication app, HttpClient client, RouterMetrics metrics)
    {
        _app = app;
        _client = client;
        _metrics = metrics;
    }

    /// <summary>The address the router listens on.</summary>
    public Uri Url { get; private set; } = null!;

    internal RouterContext Context { get; private set; } = null!;

    internal ConfigWatcher Watcher { get; private set; } = null!;

    internal LiveConfig Live { get; private set; } = null!;

    /// <summary>Validates the configuration and starts listening.</summary>
    public static async Task<WaferRouter> StartAsync(RouterOptions options, Action<ILoggingBuilder>? logging = null)
    {
        options.Validate();
        // Step 1
        var config = RouterConfigLoader.Load(options.ConfigPath);

        var builder = KestrelHost.CreateBuilder(options.Host, options.Port, consoleLogging: true, logging, k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
        });
        Wafer.OpenAi.Hosting.ProcessMetrics.EnsureCreated();
        var telemetry = builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(RouterMetrics.MeterName, Wafer.OpenAi.Hosting.ProcessMetrics.MeterName).AddPrometheusExporter());
        Wafer.OpenAi.Hosting.HostTracing.Add(telemetry, "wafer-route", options.ConfigureTracing, RouterTracing.SourceName);
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Wafer.Router");

        var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = int.MaxValue,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var metrics = new RouterMetrics();
        var router = new WaferRouter(app, client, metrics);

        // Step 2
        void Ejected(Backend b)
        {
            metrics.Ejections.Add(1, RouterMetrics.Tag("backend", b.Name));
            RouterLog.Ejected(logger, b.Name);
        }
        void Recovered(Backend b) => RouterLog.Recovered(logger, b.Name);
        RouterState Build(RouterConfig c, RouterState? previous, IReadOnlyDictionary<string, IReadOnlyList<Discovery.Replica>> discovered) =>
            RouterState.Build(c, previous, options.Time, options.Random, Ejected, Recovered, discovered);
        var context = new RouterContext(client, options.Time, metrics, logger, Build(config, null, new Dictionary<string, IReadOnlyList<Discovery.Replica>>()));
        router.Context = context;
        router.Live = new LiveConfig(context, config, Build);
        context.Discovery = router.Live.Discovery;
        router.Watcher = new ConfigWatcher(options.ConfigPath, options.ReloadInterval, context, router.Live.Apply);

        // Step 3
        MapEndpoints(app, context, logger);
        router.Url = await KestrelHost.StartAsync(app).ConfigureAwait(false);
        RouterLog.Listening(logger, config.Routes.Count, config.Backends.Count, router.Url.ToString().TrimEnd('/'));

        // Step 4
        router._background.Add(Guard(new HealthProber(context).RunAsync(router._stop.Token)));
        router._background.Add(Guard(router.Watcher.RunAsync(router._stop.Token)));
        return router;
    }

    private static void MapEndpoints(WebApplication app, RouterContext context, ILogger logger)
    {
        var forwarder = new RequestForwarder(context);
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                RouterLog.Unhandled(logger, e, http.Request.Path);
                await ErrorJson.WriteAsync(http, 500, "internal router error", "server_error").ConfigureAwait(false);
            }
        });
        app.MapGet("/health", http => InfoEndpoints.HealthAsync(http, context));
        app.MapGet("/v1/models", http => InfoEndpoints.ModelsAsync(http, context));
        app.MapPost("/v1/chat/completions", forwarder.ForwardAsync);
        app.MapPost("/v1/completions", forwarder.ForwardAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        Wafer.OpenAi.Web.WebUi.Map(app);
        app.MapFallback(http => ErrorJson.WriteAsync(http, 404, $"no route for {http.Request.Method} {http.Request.Path}; the router serves /health, /v1/models, /v1/chat/completions, /v1/completions, /metrics, / (playground), /dashboard", "invalid_request_error"));
    }

    private static async Task Guard(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Completes when the host stops (SIGTERM, Ctrl-C).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <summary>Stops listening and the background loops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_background).ConfigureAwait(false);
        await Live.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _metrics.Dispose();
        _stop.Dispose();
    }
}
