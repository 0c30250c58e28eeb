using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Wafer.Engine;
using Wafer.Engine.Metrics;
using Wafer.Engine.Scheduling;
using Wafer.Models.ChatTemplates;
using Wafer.OpenAi.Hosting;
using Wafer.Server.Admission;
using Wafer.Server.Api;
using Wafer.Server.Endpoints;

namespace Wafer.Server.Hosting;

/// <summary>The OpenAI-compatible HTTP server: Kestrel, minimal APIs, one model served by one engine.</summary>
/// <remarks>
/// Step 1: Kestrel starts listening at once; /health answers 503 while the model loads in the background.
/// Step 2: once loaded, generation endpoints admit requests (bounded queue, else 429) and stream tokens.
/// Step 3: on SIGTERM/Ctrl-C, Kestrel stops accepting, in-flight requests get the drain timeout, the engine stops.
/// </remarks>
public sealed class WaferServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelHost _host;

    private WaferServer(WebApplication app, ModelHost host, ServerContext context)
    {
        _app = app;
        _host = host;
        Context = context;
    }

    internal ServerContext Context { get; private set; }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:8080.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Completes once the model is loaded (faults if loading failed).</summary>
    public Task<LocalModel> ModelLoaded => _host.Loaded;

    /// <summary>Builds the server and starts listening; the model loads in the background.</summary>
    public static async Task<WaferServer> StartAsync(ServerOptions options, Action<ILoggingBuilder>? logging = null)
    {
        options.Validate();
        var builder = KestrelHost.CreateBuilder(options.Host, options.Port, consoleLogging: true, logging, k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes * RequestBody.DrainFactor;
            k.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout);
        // The meter exists before the exporter, so the view can keep to it: OpenTelemetry subscribes to meters by name, and
        // another server in the same process (tests) has a meter of the same name whose counts must not show up here.
        var metrics = new ServerMetrics();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(EngineMetrics.MeterName, ServerMetrics.MeterName)
            .AddView(instrument => instrument.Meter.Name == ServerMetrics.MeterName && !metrics.Owns(instrument.Meter) ? MetricStreamConfiguration.Drop : null)
            .AddPrometheusExporter());
        WaferServer? started = null; // the MCP tool reads the context the server has once its models are loaded
        if (options.Mcp)
            builder.Services.AddMcpServer(o => o.ServerInfo = new ModelContextProtocol.Protocol.Implementation { Name = "wafer", Version = typeof(WaferServer).Assembly.GetName().Version?.ToString() ?? "0" })
                .WithHttpTransport(o => o.Stateless = true)
                .WithTools([KnowledgeBaseMcpTool.Create(() => started!.Context)]);

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Wafer.Server");
        var loading = new TaskCompletionSource<LocalModel>(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = new ModelHost(loading.Task);
        var context = new ServerContext(host, new AdmissionController(options.MaxSequences, options.MaxQueue, 0), options, metrics, logger);
        var server = new WaferServer(app, host, context);
        started = server;
        MapEndpoints(app, server, logger);
        if (options.Mcp) app.MapMcp("/mcp");
        server.Url = await KestrelHost.StartAsync(app).ConfigureAwait(false);

        _ = Task.Run(() =>
        {
            try
            {
                var model = Load(options);
                int contextLength = model.Engine.ContextLength;
                Retrieval? retrieval = null;
                try
                {
                    if (options.KnowledgeBasePath != null) retrieval = Retrieval.Open(options.KnowledgeBasePath, model, context.Metrics);
                }
                catch
                {
                    model.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    throw;
                }
                server.Context = context with
                {
                    Admission = new AdmissionController(options.MaxSequences, options.MaxQueue,
                        options.MaxQueueTokens > 0 ? options.MaxQueueTokens : 8L * contextLength),
                    Retrieval = retrieval,
                };
                loading.SetResult(model);
                ServerLog.Ready(logger, model.Name, Path.GetFileName(options.ModelPath), model.Model.File.FileBytes / 1048576.0,
                    model.Model.Config.Architecture, server.Url.ToString().TrimEnd('/'), contextLength, model.Engine.KvCapacityTokens,
                    model.Engine.KvCacheBytes / 1048576.0, options.MaxSequences, options.MaxQueue);
            }
            catch (Exception e)
            {
                ServerLog.LoadFailed(logger, e.Message);
                loading.SetException(e);
            }
        });
        return server;
    }

    /// <summary>Loads the model and starts its engine; the engine resolves the context length (<c>--ctx</c>, 0 = the model's, at most 4096).</summary>
    private static LocalModel Load(ServerOptions options)
    {
        var template = options.ChatTemplate != null ? ChatTemplateResolver.Resolve(options.ChatTemplate) : null;
        var model = LocalModel.Load(options.ModelPath, new EngineOptions
        {
            Scheduler = new SchedulerOptions { ContextLength = options.ContextLength, MaxSequences = options.MaxSequences, Speculation = options.Speculation },
            KvCacheMiB = options.KvCacheMiB,
        }, options.Threads, options.Alias, template, options.Repack);
        if (options.EmbedModelPath != null)
        {
            try
            {
                model.LoadEncoder(options.EmbedModelPath);
            }
            catch
            {
                model.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }
        }
        return model;
    }

    private static void MapEndpoints(WebApplication app, WaferServer server, ILogger logger)
    {
        app.Use(async (http, next) =>
        {
            try
            {
                if (!Authorized(http, server.Context.Options)) throw new ApiException(401, "missing or invalid API key; send 'Authorization: Bearer KEY' (or 'x-api-key: KEY')", code: "invalid_api_key");
                await next(http).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ApiException or Models.InvalidParameterException or EngineStoppedException)
            {
                await ErrorWriter.WriteAsync(http, ApiErrors.From(e)).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                await ErrorWriter.WriteAsync(http, new ApiException(e.StatusCode, e.StatusCode == 413 ? "the request body is too large" : "bad request")).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client went away; its request was cancelled in the engine.
            }
            catch (Exception e)
            {
                // A failed engine step keeps its message (engine_error); anything else is a plain internal error.
                ServerLog.Unhandled(logger, e, http.Request.Path);
                await ErrorWriter.WriteAsync(http, ApiErrors.From(e)).ConfigureAwait(false);
            }
            finally
            {
                // A stream that failed after its 200 headers counts as the 500 it would have been.
                int status = http.Items.ContainsKey(GenerationEndpoints.StreamFailedItem) ? 500 : http.Response.StatusCode;
                if (http.Request.Path.StartsWithSegments("/v1"))
                    server.Context.Metrics.Requests.Add(1, new KeyValuePair<string, object?>("status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        });
        app.MapGet("/health", http => InfoEndpoints.HealthAsync(http, server.Context));
        app.MapGet("/v1/models", http => InfoEndpoints.ModelsAsync(http, server.Context));
        app.MapPost("/v1/chat/completions", http => GenerationEndpoints.ChatAsync(http, server.Context));
        app.MapPost("/v1/completions", http => GenerationEndpoints.CompletionAsync(http, server.Context));
        app.MapPost("/v1/responses", http => ResponsesEndpoints.ResponsesAsync(http, server.Context));
        app.MapPost("/v1/messages", http => MessagesEndpoints.MessagesAsync(http, server.Context));
        app.MapPost("/v1/embeddings", http => EmbeddingEndpoints.EmbeddingsAsync(http, server.Context));
        app.MapPost("/v1/retrieve", http => RetrievalEndpoints.RetrieveAsync(http, server.Context));
        app.MapPost("/v1/messages/count_tokens", http => MessagesEndpoints.CountTokensAsync(http, server.Context));
        app.MapPost("/tokenize", http => InfoEndpoints.TokenizeAsync(http, server.Context));
        app.MapPost("/detokenize", http => InfoEndpoints.DetokenizeAsync(http, server.Context));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapFallback(http => throw new ApiException(404, $"no endpoint {http.Request.Method} {http.Request.Path}", code: "not_found"));
    }

    private static bool Authorized(HttpContext http, ServerOptions options)
    {
        if (options.ApiKeys.Count == 0) return true;
        var path = http.Request.Path;
        if (path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics")) return true;
        string header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.Ordinal) && options.ApiKeys.Contains(header["Bearer ".Length..].Trim())) return true;
        // Anthropic's clients send the key as x-api-key.
        return http.Request.Headers["x-api-key"].ToString() is { Length: > 0 } key && options.ApiKeys.Contains(key.Trim());
    }

    /// <summary>Runs until SIGTERM/Ctrl-C (or <paramref name="cancellationToken"/>), then drains and stops.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        await _app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops listening, lets in-flight requests finish within the drain timeout, then stops the engine.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
        Context.Retrieval?.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
