using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Wafer.Engine;
using Wafer.Engine.KvCache;
using Wafer.Engine.Metrics;
using Wafer.Engine.Scheduling;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Inference;
using Wafer.OpenAi.Hosting;
using Wafer.OpenAi.Web;
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
    private readonly ModelRegistry<ServedModel> _models;
    private readonly TaskCompletionSource<LocalModel> _startModel = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WaferServer(WebApplication app, ModelRegistry<ServedModel> models, ServerContext context)
    {
        _app = app;
        _models = models;
        Context = context;
    }

    internal ServerContext Context { get; private set; }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:8080.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Completes once the start model (<see cref="ServerOptions.ModelPath"/>) is loaded (faults if loading failed);
    /// never completes when every model loads on demand.</summary>
    public Task<LocalModel> ModelLoaded => _startModel.Task;

    /// <summary>Completes once the models loaded at start are loaded (at once when there are none); faults if one failed.</summary>
    public Task Ready => _models.Preloaded;

    /// <summary>Builds the server and starts listening; the start model loads in the background, the others on demand.</summary>
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
        ProcessMetrics.EnsureCreated();
        var telemetry = builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(EngineMetrics.MeterName, ServerMetrics.MeterName, ProcessMetrics.MeterName)
            .AddView(instrument => instrument.Meter.Name == ServerMetrics.MeterName && !metrics.Owns(instrument.Meter) ? MetricStreamConfiguration.Drop : null)
            .AddPrometheusExporter());
        HostTracing.Add(telemetry, "wafer-serve", options.ConfigureTracing, ServerTracing.SourceName, Engine.Telemetry.EngineTracing.SourceName);
        WaferServer? started = null; // the MCP tool and the loader read the server once it exists
        if (options.Mcp)
            builder.Services.AddMcpServer(o => o.ServerInfo = new ModelContextProtocol.Protocol.Implementation { Name = "wafer", Version = typeof(WaferServer).Assembly.GetName().Version?.ToString() ?? "0" })
                .WithHttpTransport(o => o.Stateless = true)
                .WithTools([KnowledgeBaseMcpTool.Create(() => started!.Context)]);

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Wafer.Server");
        var specs = new List<ModelSpec>();
        if (options.ModelPath != null)
            specs.Add(new ModelSpec(options.ModelName!, options.ModelPath, Preload: true, Pinned: !options.ServesMany && options.KeepAlive == null));
        specs.AddRange(options.Models);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new ModelRegistry<ServedModel>(specs, spec =>
        {
            listening.Task.GetAwaiter().GetResult(); // the start line names the address
            return Load(started!, spec);
        }, spec => Estimate(options, spec), new ModelRegistryOptions
        {
            KeepAlive = options.KeepAlive ?? (options.ServesMany ? TimeSpan.FromMinutes(5) : Timeout.InfiniteTimeSpan),
            MaxMemoryBytes = options.MaxMemoryBytes,
            LoadTimeout = options.LoadTimeout,
        }, answersAnyName: !options.ServesMany);
        var context = new ServerContext(registry, options, metrics, logger);
        var server = new WaferServer(app, registry, context);
        started = server;
        registry.LoadFailed += (spec, e) =>
        {
            ServerLog.LoadFailed(logger, spec.Name, e.Message);
            if (spec.Preload) server._startModel.TrySetException(e);
        };
        registry.Unloaded += (spec, reason) =>
        {
            ServerLog.Unloaded(logger, spec.Name, reason);
            // Give the unloaded model's managed memory back to the system, not only to the heap.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        };
        MapEndpoints(app, server, logger);
        if (options.Mcp) app.MapMcp("/mcp");
        try
        {
            server.Url = await KestrelHost.StartAsync(app).ConfigureAwait(false);
        }
        catch
        {
            listening.SetCanceled();
            await registry.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        listening.SetResult();
        string url = server.Url.ToString().TrimEnd('/');
        if (options.ServesMany)
            ServerLog.ServingMany(logger, specs.Count, string.Join(", ", specs.Select(s => s.Name)), url,
                options.KeepAlive is { } k ? (k == Timeout.InfiniteTimeSpan ? "forever" : $"{k.TotalSeconds:0.###} s") : "300 s",
                options.MaxMemoryBytes > 0 ? $"{options.MaxMemoryBytes / 1048576.0:0} MiB" : "none");
        return server;
    }

    /// <summary>Loads one model and starts its engine: the start model with its embedding model and knowledge base.</summary>
    private static ServedModel Load(WaferServer server, ModelSpec spec)
    {
        var options = server.Context.Options;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var model = LoadModel(options, spec);
        Retrieval? retrieval = null;
        try
        {
            if (spec.Preload && options.KnowledgeBasePath != null) retrieval = Retrieval.Open(options.KnowledgeBasePath, model, server.Context.Metrics);
        }
        catch
        {
            model.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        int contextLength = model.Engine.ContextLength;
        var served = new ServedModel(model, new AdmissionController(options.MaxSequences, options.MaxQueue,
            options.MaxQueueTokens > 0 ? options.MaxQueueTokens : 8L * contextLength));
        if (retrieval != null) server.Context = server.Context with { Retrieval = retrieval };
        string url = server.Url.ToString().TrimEnd('/');
        if (spec.Preload)
        {
            ServerLog.Ready(server.Context.Logger, model.Name, Path.GetFileName(spec.Path), model.Model.File.FileBytes / 1048576.0,
                model.Model.Config.Architecture, url, contextLength, model.Engine.KvCapacityTokens,
                model.Engine.KvCacheBytes / 1048576.0, KvName(options, model.Engine), options.MaxSequences, options.MaxQueue);
            server._startModel.TrySetResult(model);
        }
        else
        {
            ServerLog.Loaded(server.Context.Logger, model.Name, Path.GetFileName(spec.Path), served.MemoryBytes / 1048576.0,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, contextLength);
        }
        return served;
    }

    private static string KvName(ServerOptions options, InferenceEngine engine)
    {
        string full = options.KvTypes.Keys == options.KvTypes.Values ? options.KvTypes.Keys.Name() : $"keys {options.KvTypes.Keys.Name()}, values {options.KvTypes.Values.Name()}";
        if (options.Adaptive is not { } a) return full;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{full}; --adaptive: {a.Reduced.Name} ({engine.KvCapacityTokensAt(1)} tokens) from {a.EnterKvUsage:P0} KV use{(a.EnterWaiting > 0 ? $" or {a.EnterWaiting} waiting" : "")} until {a.ExitKvUsage:P0}");
    }

    /// <summary>Loads a model and starts its engine; the engine resolves the context length (<c>--ctx</c>, 0 = the model's, at most 4096).</summary>
    private static LocalModel LoadModel(ServerOptions options, ModelSpec spec)
    {
        var template = options.ChatTemplate != null ? ChatTemplateResolver.Resolve(options.ChatTemplate) : null;
        var model = LocalModel.Load(spec.Path, EngineOptionsFor(options, spec), options.Threads, spec.Name, template, options.Repack);
        if (spec.Preload && options.EmbedModelPath != null)
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

    /// <summary>What a model is expected to hold before it was ever loaded: its file, as much again for its Q8_0/Q4_0/Q5_0
    /// matrices when weights are repacked, and the KV cache its engine would allocate. Once loaded, its measured size replaces this.</summary>
    private static long Estimate(ServerOptions options, ModelSpec spec)
    {
        using var file = Models.Gguf.GgufFile.Open(spec.Path);
        var config = Models.Architectures.ModelConfig.FromGguf(file);
        long kv = KvCacheSizing.Bytes(config, EngineOptionsFor(options, spec));
        long repacked = options.Repack
            ? file.Tensors.Where(t => t.Type is Kernels.GgmlType.Q8_0 or Kernels.GgmlType.Q4_0 or Kernels.GgmlType.Q5_0 && t.Dimensions.Length == 2).Sum(t => t.ByteCount)
            : 0;
        return file.FileBytes + repacked + kv;
    }

    private static EngineOptions EngineOptionsFor(ServerOptions options, ModelSpec spec) => new()
    {
        Scheduler = new SchedulerOptions { ContextLength = options.ContextLength, MaxSequences = options.MaxSequences, Speculation = options.Speculation },
        KvCacheMiB = options.KvCacheMiB,
        KeyType = options.KvTypes.Keys,
        ValueType = options.KvTypes.Values,
        Adaptive = options.Adaptive,
        MetricsModel = spec.Name,
    };

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
                {
                    var statusTag = new KeyValuePair<string, object?>("status", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (http.Items[ModelAccess.ModelItem] is string name) server.Context.Metrics.Requests.Add(1, statusTag, new KeyValuePair<string, object?>("model", name));
                    else server.Context.Metrics.Requests.Add(1, statusTag);
                }
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
        WebUi.Map(app);
        app.MapFallback(http => throw new ApiException(404, $"no endpoint {http.Request.Method} {http.Request.Path}", code: "not_found"));
    }

    /// <summary>Whether the request may pass: no keys configured; or an open path (/health, the pages, and /metrics unless
    /// <c>--protect-metrics</c>); or a configured key in <c>Authorization: Bearer KEY</c> (the scheme in any case, RFC 9110)
    /// or <c>x-api-key: KEY</c> (Anthropic's clients). Keys are compared in constant time against every configured key.</summary>
    internal static bool Authorized(HttpContext http, ServerOptions options)
    {
        if (options.ApiKeys.Count == 0) return true;
        var path = http.Request.Path;
        if (path.StartsWithSegments("/health") || WebUi.IsPagePath(path)) return true;
        if (path.StartsWithSegments("/metrics") && !options.ProtectMetrics) return true;
        string header = http.Request.Headers.Authorization.ToString().Trim();
        if (header.Length > 7 && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && KnownKey(header[7..].Trim(), options.ApiKeys)) return true;
        return http.Request.Headers["x-api-key"].ToString() is { Length: > 0 } key && KnownKey(key.Trim(), options.ApiKeys);
    }

    /// <summary>True when <paramref name="key"/> is one of <paramref name="keys"/>; every key is compared, each in constant
    /// time, so how long it takes says nothing about how much of a key was right.</summary>
    private static bool KnownKey(string key, IReadOnlySet<string> keys)
    {
        var given = System.Text.Encoding.UTF8.GetBytes(key);
        bool found = false;
        foreach (string candidate in keys)
            found |= System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, System.Text.Encoding.UTF8.GetBytes(candidate));
        return found;
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
        await _models.DisposeAsync().ConfigureAwait(false);
        Context.Retrieval?.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
