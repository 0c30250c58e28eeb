using Wafer.Engine.KvCache;
using Wafer.Models.Inference;

namespace Wafer.Engine.Adaptive;

/// <summary>The opt-in adaptive mode (<c>wafer serve --adaptive</c>): when the KV cache or the queue crosses a threshold, new
/// sequences are admitted with <see cref="Reduced"/> keys and values, and at full precision again once the pressure is gone.
/// Validated on creation of the engine.</summary>
public sealed record AdaptiveOptions
{
    /// <summary>The reduced precision (<c>--adaptive-kv-type</c>); Q8_0 takes 34/128 of F32's bytes, 34/64 of F16's.</summary>
    public KvPrecision Reduced { get; init; } = new(KvType.Q8_0, KvType.Q8_0);

    /// <summary>Pressure starts when at least this share of the KV blocks is held, or promised to the requests in the engine
    /// (<see cref="LoadSignals.KvUsage"/>; <c>--adaptive-kv-high</c>).</summary>
    public double EnterKvUsage { get; init; } = 0.75;

    /// <summary>Pressure ends once the share has fallen to this or below, nothing waits and nothing was refused or preempted
    /// in the last step (<c>--adaptive-kv-low</c>).</summary>
    public double ExitKvUsage { get; init; } = 0.5;

    /// <summary>Pressure also starts when this many requests wait after a step (<c>--adaptive-queue</c>; 0 = the KV signals only).</summary>
    public int EnterWaiting { get; init; } = 8;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid threshold, or a reduced precision wider than
    /// <paramref name="full"/> (it would hold fewer tokens, not more).</summary>
    public AdaptiveOptions Validate(KvPrecision full, int headDim)
    {
        if (EnterKvUsage is <= 0 or > 1) throw new ArgumentException($"--adaptive-kv-high must be in (0, 1], got {EnterKvUsage}");
        if (ExitKvUsage < 0 || ExitKvUsage >= EnterKvUsage)
            throw new ArgumentException($"--adaptive-kv-low must be in [0, --adaptive-kv-high = {EnterKvUsage}), got {ExitKvUsage}");
        if (EnterWaiting < 0) throw new ArgumentException($"--adaptive-queue must be ≥ 0 (0 = off), got {EnterWaiting}");
        Reduced.Key.Require(headDim, "--adaptive-kv-type");
        Reduced.Value.Require(headDim, "--adaptive-kv-type");
        if (Reduced.Key.RowBytes(32) > full.Key.RowBytes(32) || Reduced.Value.RowBytes(32) > full.Value.RowBytes(32) || Reduced == full)
            throw new ArgumentException($"--adaptive-kv-type {Reduced.Name} must be narrower than the cache's own {full.Name} (e.g. --kv-type f16 --adaptive-kv-type q8_0)");
        return this;
    }
}
