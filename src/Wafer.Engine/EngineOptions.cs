using Wafer.Engine.Scheduling;

namespace Wafer.Engine;

/// <summary>Start-up options of an <see cref="InferenceEngine"/>; validated on creation.</summary>
public sealed record EngineOptions
{
    /// <summary>Scheduling limits (batch token budget, sequences, context).</summary>
    public SchedulerOptions Scheduler { get; init; } = new();

    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>KV cache size in MiB; 0 = derive from <see cref="KvCacheTokens"/> or the machine's free memory.</summary>
    public long KvCacheMiB { get; init; }

    /// <summary>KV cache size in tokens; 0 = derive from <see cref="KvCacheMiB"/> or the machine's free memory.</summary>
    public long KvCacheTokens { get; init; }

    /// <summary>How the KV cache stores keys (<c>--kv-type</c>, <c>-ctk</c>); F32 keeps attention exactly as the golden
    /// references compute it, F16 halves the cache, Q8_0 takes 34/128 of it.</summary>
    public Wafer.Models.Inference.KvType KeyType { get; init; } = Wafer.Models.Inference.KvType.F32;

    /// <summary>How the KV cache stores values (<c>-ctv</c>).</summary>
    public Wafer.Models.Inference.KvType ValueType { get; init; } = Wafer.Models.Inference.KvType.F32;

    /// <summary>The adaptive mode (<c>--adaptive</c>): under load, new sequences are stored at a reduced precision; null = off.</summary>
    public Adaptive.AdaptiveOptions? Adaptive { get; init; }

    /// <summary>The served name the engine's metrics carry as their <c>model</c> tag; null = no tag.</summary>
    public string? MetricsModel { get; init; }

    /// <summary>Share blocks of identical prefixes between requests.</summary>
    public bool PrefixCaching { get; init; } = true;

    /// <summary>The context a model gets when none is asked for, if it was trained on more (llama-server's default is the
    /// trained context; Wafer caps it so the default KV cache stays a few hundred MiB on small machines).</summary>
    public const int DefaultMaxContextLength = 4096;

    /// <summary>The context length an engine over a model trained on <paramref name="trainedLength"/> tokens runs with:
    /// the requested length (0 = <see cref="DefaultMaxContextLength"/>), never more than the trained one. This is the only
    /// place it is decided; the engine exposes the result as <see cref="InferenceEngine.ContextLength"/>.</summary>
    public static int ResolveContextLength(int requested, long trainedLength)
    {
        int trained = (int)Math.Clamp(trainedLength, 2, int.MaxValue);
        return requested > 0 ? Math.Min(requested, trained) : Math.Min(trained, DefaultMaxContextLength);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public EngineOptions Validate()
    {
        Scheduler.Validate();
        if (BlockSize is < 1 or > 1024) throw new ArgumentException($"the KV block size must be in 1…1024, got {BlockSize}");
        if (KvCacheMiB < 0) throw new ArgumentException($"the KV cache size must be ≥ 0 MiB, got {KvCacheMiB}");
        if (KvCacheTokens < 0) throw new ArgumentException($"the KV cache size must be ≥ 0 tokens, got {KvCacheTokens}");
        return this;
    }
}
