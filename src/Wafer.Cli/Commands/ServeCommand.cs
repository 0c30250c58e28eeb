using System.CommandLine;
using Wafer.Hub;
using Wafer.Server.Hosting;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer serve MODEL</c>: the OpenAI-compatible server.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("MODEL")
        {
            Description = "GGUF file or model name (wafer ls; org/name:QUANT is pulled when missing); loaded at start. Default: the only model in $WAFER_MODELS, else the embedded stories260K",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var models = new Option<string[]>("--model", "-m") { Description = "Also serve NAME=PATH (or a model name, served under it), loaded by its first request (repeatable)", AllowMultipleArgumentsPerToken = false };
        var modelsDir = new Option<string?>("--models-dir") { Description = "Also serve every GGUF in DIR, named by its file name without .gguf, each loaded by its first request" };
        var keepAlive = new Option<string?>("--keep-alive") { Description = "How long an idle model stays loaded: seconds or 30s, 5m, 1h; negative = forever (default 5m with several models; the one model of a plain serve stays)" };
        var maxMemory = new Option<string?>("--max-memory") { Description = "Bound on loaded models' weights + KV cache, e.g. 8G or 512M: the least recently used idle model unloads to make room" };
        var loadTimeout = new Option<double>("--load-timeout") { Description = "Seconds a request waits for its model to load before 503 with Retry-After", DefaultValueFactory = _ => 60 };
        var host = new Option<string>("--host") { Description = "Address to bind", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0 = any free port)", DefaultValueFactory = _ => 8080 };
        var alias = new Option<string?>("--alias") { Description = "Model name clients use (default: the file name)" };
        var apiKey = new Option<string[]>("--api-key") { Description = "Accepted API key (repeatable)", AllowMultipleArgumentsPerToken = false };
        var apiKeysFile = new Option<string?>("--api-keys-file") { Description = "File with one accepted API key per line" };
        var protectMetrics = new Option<bool>("--protect-metrics") { Description = "Put /metrics behind the API keys too (Prometheus then sends one as a bearer token)" };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Context length (default: the model's, at most 4096)" };
        var kvMb = new Option<long>("--kv-cache-mb") { Description = "KV cache size in MiB (default: from free memory)" };
        var maxSeqs = new Option<int>("--max-seqs") { Description = "Sequences decoded together", DefaultValueFactory = _ => 16 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests allowed to wait beyond --max-seqs (then 429)", DefaultValueFactory = _ => 64 };
        var maxQueueTokens = new Option<long>("--max-queue-tokens") { Description = "Prompt tokens allowed to wait (default: 8 contexts)" };
        var threads = CommonOptions.Threads();
        var template = new Option<string?>("--chat-template") { Description = "Chat template FILE or NAME (chatml) replacing the model's" };
        var noRepack = CommonOptions.NoRepack();
        var reasoning = new Option<string>("--reasoning-format") { Description = "deepseek: a thinking model's <think> block goes to reasoning_content; none: it stays in the content", DefaultValueFactory = _ => "deepseek" };
        reasoning.AcceptOnlyFromAmong("deepseek", "none");
        var spec = CommonOptions.Spec();
        var draftTokens = CommonOptions.DraftTokens();
        var draft = CommonOptions.Draft();
        var specCost = CommonOptions.SpecCost();
        var kb = new Option<string?>("--kb") { Description = "A knowledge base built by wafer index add, searched by POST /v1/retrieve and chat's retrieval field (needs --embed-model, the one it was built with)" };
        var mcp = new Option<bool>("--mcp") { Description = "Also serve the MCP tool search_knowledge_base over the knowledge base at /mcp (Streamable HTTP; needs --kb)" };
        var embedModel = new Option<string?>("--embed-model") { Description = "A BERT-family GGUF that answers /v1/embeddings (default: the served model, mean-pooled)" };
        var kvType = CommonOptions.KvType("f16");
        var adaptive = new Option<bool>("--adaptive") { Description = "Under load (KV cache or queue past a threshold) store new requests' KV at --adaptive-kv-type, at full precision again once the load is gone; responses say which (X-Wafer-KV-Precision, usage.kv_precision)" };
        var adaptiveType = new Option<string>("--adaptive-kv-type") { Description = "The reduced KV precision of --adaptive (narrower than --kv-type)", DefaultValueFactory = _ => "q8_0" };
        var adaptiveHigh = new Option<double>("--adaptive-kv-high") { Description = "--adaptive: reduce from this share of KV blocks in use (or a request refused blocks or preempted)", DefaultValueFactory = _ => new Wafer.Engine.Adaptive.AdaptiveOptions().EnterKvUsage };
        var adaptiveLow = new Option<double>("--adaptive-kv-low") { Description = "--adaptive: full precision again once KV use is down to this and nothing waits", DefaultValueFactory = _ => new Wafer.Engine.Adaptive.AdaptiveOptions().ExitKvUsage };
        var adaptiveQueue = new Option<int>("--adaptive-queue") { Description = "--adaptive: also reduce while this many requests wait (0 = KV signals only)", DefaultValueFactory = _ => new Wafer.Engine.Adaptive.AdaptiveOptions().EnterWaiting };
        var drain = new Option<double>("--drain-timeout") { Description = "Seconds shutdown waits for in-flight requests", DefaultValueFactory = _ => 30 };
        var command = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API")
        {
            model, models, modelsDir, keepAlive, maxMemory, loadTimeout, host, port, alias, apiKey, apiKeysFile, protectMetrics, ctx, kvMb, maxSeqs, maxQueue, maxQueueTokens, threads, template, reasoning, spec, draftTokens, draft, specCost, embedModel, kb, mcp, drain, noRepack, kvType.Both, kvType.Keys, kvType.Values,
            adaptive, adaptiveType, adaptiveHigh, adaptiveLow, adaptiveQueue,
        };
        command.SetAction(r => Run(ServedModels(r.GetValue(model), r.GetValue(models) ?? [], r.GetValue(modelsDir), r.GetValue(alias)) with
        {
            KeepAlive = r.GetValue(keepAlive) is { } k ? KeepAliveDuration.TryParse(k) ?? throw new ArgumentException($"--keep-alive '{k}' is not a duration; write seconds or 30s, 5m, 1h (negative = forever)") : null,
            MaxMemoryBytes = r.GetValue(maxMemory) is { } m ? ByteSize.Parse(m, "--max-memory") : 0,
            LoadTimeout = TimeSpan.FromSeconds(r.GetValue(loadTimeout)),
            Host = r.GetValue(host)!,
            Port = r.GetValue(port),
            ApiKeys = ApiKeys(r.GetValue(apiKey), r.GetValue(apiKeysFile)),
            ProtectMetrics = r.GetValue(protectMetrics),
            ContextLength = r.GetValue(ctx),
            KvCacheMiB = r.GetValue(kvMb),
            KvTypes = CommonOptions.KvTypes(r, kvType),
            Adaptive = Adaptive(r, adaptive, adaptiveType, adaptiveHigh, adaptiveLow, adaptiveQueue),
            MaxSequences = r.GetValue(maxSeqs),
            MaxQueue = r.GetValue(maxQueue),
            MaxQueueTokens = r.GetValue(maxQueueTokens),
            Threads = r.GetValue(threads),
            Repack = !r.GetValue(noRepack),
            ChatTemplate = r.GetValue(template),
            ReasoningFormat = r.GetValue(reasoning)!,
            EmbedModelPath = r.GetValue(embedModel) is { } e ? ModelNames.Resolve(e, "--embed-model") : null,
            KnowledgeBasePath = r.GetValue(kb),
            Mcp = r.GetValue(mcp),
            Speculation = CommonOptions.Speculation(r.GetValue(spec)!, r.GetValue(draftTokens), r.GetValue(draft), r.GetValue(specCost)!),
            DrainTimeout = TimeSpan.FromSeconds(Math.Max(0, r.GetValue(drain))),
        }));
        return command;
    }

    /// <summary>The options of <c>--adaptive</c>, or null without it (its other options are then refused: they would do nothing).</summary>
    private static Wafer.Engine.Adaptive.AdaptiveOptions? Adaptive(ParseResult r, Option<bool> on, Option<string> type, Option<double> high, Option<double> low, Option<int> queue)
    {
        if (!r.GetValue(on))
        {
            foreach (var o in (Option[])[type, high, low, queue])
                if (r.GetResult(o) is { Implicit: false }) throw new ArgumentException($"{o.Name} needs --adaptive");
            return null;
        }
        var reduced = Wafer.Models.Inference.KvTypes.Parse(r.GetValue(type)!, "--adaptive-kv-type");
        return new Wafer.Engine.Adaptive.AdaptiveOptions
        {
            Reduced = new(reduced, reduced),
            EnterKvUsage = r.GetValue(high),
            ExitKvUsage = r.GetValue(low),
            EnterWaiting = r.GetValue(queue),
        };
    }

    private static int Run(ServerOptions options)
    {
        if (options.ModelPath == DefaultModelPath && !options.ServesMany)
        {
            Console.Error.WriteLine($"wafer: no model given: serving the embedded default, stories260K (a 260K-parameter story model, {DefaultModelPath}); "
                + "serve another with: wafer serve path/to/model.gguf");
            options = options with { Alias = options.Alias ?? "stories260K" };
        }
        var server = WaferServer.StartAsync(options).GetAwaiter().GetResult();
        var shutdown = server.WaitForShutdownAsync();
        var first = Task.WhenAny(server.Ready, shutdown).GetAwaiter().GetResult();
        if (first == server.Ready && server.Ready.IsFaulted)
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw server.Ready.Exception!.InnerException!;
        }
        shutdown.GetAwaiter().GetResult();
        return 0;
    }

    private static HashSet<string> ApiKeys(string[]? keys, string? file)
    {
        var set = new HashSet<string>(keys ?? [], StringComparer.Ordinal);
        if (file != null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"--api-keys-file '{file}' does not exist");
            foreach (var line in File.ReadLines(file))
                if (line.Trim() is { Length: > 0 } key && !key.StartsWith('#')) set.Add(key);
            if (set.Count == 0) throw new ArgumentException($"--api-keys-file '{file}' holds no keys");
        }
        return set;
    }

    /// <summary>The models to serve: MODEL (loaded at start) and those of <c>--model</c> and <c>--models-dir</c> (loaded on
    /// demand); without any, the only GGUF in the model cache or the embedded default. A model given by name is served under
    /// that name, a file under its file name without extension (or <c>--alias</c> for MODEL).</summary>
    private static ServerOptions ServedModels(string? model, string[] models, string? modelsDir, string? alias)
    {
        var specs = new List<ModelSpec>();
        foreach (string entry in models)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            string name = eq > 0 ? entry[..eq].Trim() : "", reference = eq > 0 ? entry[(eq + 1)..].Trim() : entry.Trim();
            if (reference.Length == 0) throw new ArgumentException($"--model '{entry}': give NAME=PATH, or a path or model name");
            string path = ModelNames.Resolve(reference, "--model");
            specs.Add(new ModelSpec(name.Length > 0 ? name : NameOf(reference, path), path));
        }
        if (modelsDir != null)
        {
            if (!Directory.Exists(modelsDir)) throw new DirectoryNotFoundException($"--models-dir '{modelsDir}' does not exist; pass a folder of .gguf files");
            var found = ModelCatalog.Folder(modelsDir);
            if (found.Count == 0) throw new ArgumentException($"--models-dir '{modelsDir}' holds no .gguf file");
            specs.AddRange(found.Select(m => new ModelSpec(m.Name, m.Path)));
        }
        string? start = model != null ? ModelNames.Resolve(model) : specs.Count == 0 ? ResolveModel(null) : null;
        return new ServerOptions
        {
            ModelPath = start,
            Alias = alias ?? (model != null && start != null ? NameOf(model, start) : null),
            Models = specs,
        };
    }

    /// <summary>The name a model is served under: the name it was given by, or the file name of a path.</summary>
    private static string NameOf(string given, string path) =>
        File.Exists(given) ? Path.GetFileNameWithoutExtension(path) : given;

    /// <summary>The model to serve: the argument, or the only GGUF in the model cache, or the embedded default.</summary>
    internal static string ResolveModel(string? path)
    {
        if (!string.IsNullOrEmpty(path)) return path;
        string cache = ModelCacheDirectory();
        var models = Directory.Exists(cache) ? Directory.GetFiles(cache, "*.gguf", SearchOption.AllDirectories) : [];
        return models.Length switch
        {
            1 => models[0],
            0 => File.Exists(DefaultModelPath) ? DefaultModelPath
                : throw new ArgumentException($"no MODEL given, the local model cache ({cache}) has no .gguf file and the embedded default ({DefaultModelPath}) is missing; pass one: wafer serve path/to/model.gguf"),
            _ => throw new ArgumentException($"no MODEL given and the local model cache ({cache}) holds {models.Length} models ({string.Join(", ", models.Select(Path.GetFileName))}); pass one: wafer serve MODEL"),
        };
    }

    /// <summary>The embedded default model, beside wafer.dll (models/README.md): stories260K, 380 KB, MIT.</summary>
    internal static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "stories260K-Q8_0.gguf");

    /// <summary>$WAFER_MODELS, else ~/.cache/wafer/models.</summary>
    internal static string ModelCacheDirectory() =>
        Environment.GetEnvironmentVariable("WAFER_MODELS") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "wafer", "models");
}
