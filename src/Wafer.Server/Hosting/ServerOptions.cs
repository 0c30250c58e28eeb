namespace Wafer.Server.Hosting;

/// <summary>Options of <c>wafer serve</c>; validated at start-up.</summary>
public sealed record ServerOptions
{
    /// <summary>The model loaded at start (<c>wafer serve MODEL</c>); null when every model is loaded on demand.</summary>
    public string? ModelPath { get; init; }

    /// <summary>More models, loaded on demand by name (<c>--model NAME=PATH</c>, <c>--models-dir DIR</c>): with any, the
    /// server answers for several models and a request must name one.</summary>
    public IReadOnlyList<ModelSpec> Models { get; init; } = [];

    /// <summary>How long an idle model stays loaded (<c>--keep-alive</c>); null = the default: five minutes with several
    /// models, until the server stops for the one model of a plain <c>wafer serve MODEL</c>.</summary>
    public TimeSpan? KeepAlive { get; init; }

    /// <summary>Bound on the loaded models' weights and KV caches (<c>--max-memory</c>); 0 = none.</summary>
    public long MaxMemoryBytes { get; init; }

    /// <summary>How long a request waits for its model to load before a 503 with Retry-After (<c>--load-timeout</c>).</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>True when the server answers for several models (any <see cref="Models"/>).</summary>
    public bool ServesMany => Models.Count > 0;

    /// <summary>The name the start model is served under: <see cref="Alias"/>, else its file name without extension.</summary>
    public string? ModelName => ModelPath == null ? null : Alias ?? Path.GetFileNameWithoutExtension(ModelPath);
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Name clients use in "model" for <see cref="ModelPath"/>; default: the file name without extension.</summary>
    public string? Alias { get; init; }
    /// <summary>With API keys, <c>/metrics</c> needs a key too (<c>--protect-metrics</c>), for deployments where load and model
    /// names are not public; off, it stays open for Prometheus.</summary>
    public bool ProtectMetrics { get; init; }
    /// <summary>Accepted API keys; empty = no authentication.</summary>
    public IReadOnlySet<string> ApiKeys { get; init; } = new HashSet<string>();
    /// <summary>Context length (0 = the model's, at most 4096).</summary>
    public int ContextLength { get; init; }
    /// <summary>How the KV cache stores keys and values (<c>--kv-type</c>, <c>-ctk</c>, <c>-ctv</c>). F16 by default, as
    /// llama-server's: half F32's bytes per token, so twice the sequences in the same memory; served on the Intel Xeon host it
    /// keeps F32's speed at 16 streams and is about 5 % slower per token at one (docs/benchmarks.md, "F16 KV as the serving
    /// default"). Q8_0 takes 34/128 of F32's bytes; F32 computes attention exactly as the golden references do.</summary>
    public (Wafer.Models.Inference.KvType Keys, Wafer.Models.Inference.KvType Values) KvTypes { get; init; } = (Wafer.Models.Inference.KvType.F16, Wafer.Models.Inference.KvType.F16);

    /// <summary>The adaptive mode (<c>--adaptive</c>): under KV or queue pressure new requests are stored at a reduced KV
    /// precision; null = off.</summary>
    public Wafer.Engine.Adaptive.AdaptiveOptions? Adaptive { get; init; }

    /// <summary>KV cache size in MiB (0 = from free memory).</summary>
    public long KvCacheMiB { get; init; }
    /// <summary>Sequences decoded together.</summary>
    public int MaxSequences { get; init; } = 16;
    /// <summary>Requests allowed to wait beyond <see cref="MaxSequences"/>.</summary>
    public int MaxQueue { get; init; } = 64;
    /// <summary>Prompt tokens allowed to wait (0 = 8 contexts).</summary>
    public long MaxQueueTokens { get; init; }
    /// <summary>Worker threads (0 = one per core).</summary>
    public int Threads { get; init; }

    /// <summary>Repack Q8_0/Q4_0/Q5_0 weights into 8 interleaved rows at load (faster; the repacked copy costs their size in memory).</summary>
    public bool Repack { get; init; } = true;
    /// <summary>Largest request body accepted.</summary>
    public long MaxBodyBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>How long shutdown waits for in-flight requests.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A chat template FILE or NAME that replaces the model's.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>How a thinking model's <c>&lt;think&gt;…&lt;/think&gt;</c> block is answered: "deepseek" (default) moves it to
    /// <c>message.reasoning_content</c> / <c>delta.reasoning_content</c>; "none" leaves it inline in the content.</summary>
    public string ReasoningFormat { get; init; } = "deepseek";

    /// <summary>A BERT-family GGUF that answers <c>/v1/embeddings</c> (<c>--embed-model</c>); null = the served model embeds.</summary>
    public string? EmbedModelPath { get; init; }

    /// <summary>A knowledge base built by <c>wafer index add</c> that <c>/v1/retrieve</c> searches (<c>--kb</c>; needs
    /// <see cref="EmbedModelPath"/>, the model it was built with).</summary>
    public string? KnowledgeBasePath { get; init; }

    /// <summary>Serve the MCP tool <c>search_knowledge_base</c> over the knowledge base at <c>/mcp</c> (<c>--mcp</c>; needs
    /// <see cref="KnowledgeBasePath"/>).</summary>
    public bool Mcp { get; init; }

    /// <summary>Speculative decoding (<c>--spec</c>, <c>--draft-tokens</c>): how drafts are proposed and how many at most.</summary>
    public Wafer.Engine.Speculation.SpeculationOptions Speculation { get; init; } = Wafer.Engine.Speculation.SpeculationOptions.Off;

    /// <summary>Adds to the tracer provider (an in-process host's exporter, e.g. tests' in-memory one); with it, tracing is on
    /// whatever the environment says. Null: tracing follows the <c>OTEL_*</c> variables (<see cref="ServerTracing"/>).</summary>
    public Action<OpenTelemetry.Trace.TracerProviderBuilder>? ConfigureTracing { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and the fix.</summary>
    public ServerOptions Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port must be in 0…65535, got {Port}");
        if (MaxSequences < 1) throw new ArgumentException($"--max-seqs must be ≥ 1, got {MaxSequences}");
        if (MaxQueue < 0) throw new ArgumentException($"--max-queue must be ≥ 0, got {MaxQueue}");
        if (ContextLength < 0) throw new ArgumentException($"--ctx must be ≥ 0, got {ContextLength}");
        if (KvCacheMiB < 0) throw new ArgumentException($"--kv-cache-mb must be ≥ 0, got {KvCacheMiB}");
        if (Threads < 0) throw new ArgumentException($"--threads must be ≥ 0, got {Threads}");
        Speculation.Validate();
        if (KnowledgeBasePath != null && EmbedModelPath == null)
            throw new ArgumentException("--kb needs --embed-model: the embedding model the knowledge base was built with");
        if (ProtectMetrics && ApiKeys.Count == 0) throw new ArgumentException("--protect-metrics needs --api-key (or --api-keys-file): it puts /metrics behind the same keys");
        if (Mcp && KnowledgeBasePath == null)
            throw new ArgumentException("--mcp serves the knowledge base's search tool: add --kb kb.sqlite --embed-model E.gguf");
        if (KnowledgeBasePath != null && !File.Exists(KnowledgeBasePath))
            throw new FileNotFoundException($"--kb '{KnowledgeBasePath}' does not exist; build it with wafer index add --db {KnowledgeBasePath} --embed-model … PATH…");
        if (EmbedModelPath != null && !File.Exists(EmbedModelPath))
            throw new FileNotFoundException($"--embed-model '{EmbedModelPath}' does not exist; pass the path of a BERT-family GGUF file");
        if (ModelPath == null && Models.Count == 0) throw new ArgumentException("no model to serve: pass MODEL, --model NAME=PATH or --models-dir DIR");
        if (ModelPath != null && !File.Exists(ModelPath)) throw new FileNotFoundException($"model file '{ModelPath}' does not exist; pass the path of a GGUF file");
        foreach (var spec in Models)
            if (!File.Exists(spec.Path)) throw new FileNotFoundException($"--model {spec.Name}={spec.Path}: the file does not exist; pass the path of a GGUF file");
        if (MaxMemoryBytes < 0) throw new ArgumentException($"--max-memory must be ≥ 0, got {MaxMemoryBytes}");
        if (LoadTimeout <= TimeSpan.Zero) throw new ArgumentException($"--load-timeout must be > 0 s, got {LoadTimeout.TotalSeconds} s");
        bool loadsOnDemand = ServesMany || KeepAlive != null;
        string? single = EmbedModelPath != null ? "--embed-model" : KnowledgeBasePath != null ? "--kb" : Speculation.Draft != null ? "--draft" : null;
        if (single != null && loadsOnDemand)
            throw new ArgumentException($"{single} works with one model kept loaded: drop --model/--models-dir/--keep-alive, or serve it from a second wafer serve");
        if (ServesMany && ChatTemplate != null)
            throw new ArgumentException("--chat-template replaces one model's template: with several models, serve the one that needs it from its own wafer serve");
        return this;
    }
}
