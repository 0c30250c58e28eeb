using Wafer.Models.Inference;

namespace Wafer.Engine.KvCache;

/// <summary>How one sequence's keys and values are stored: the engine's full precision (<c>--kv-type</c>, <c>-ctk</c>/<c>-ctv</c>)
/// or, under <c>--adaptive</c> load, the reduced one (<c>--adaptive-kv-type</c>).</summary>
public readonly record struct KvPrecision(KvType Key, KvType Value)
{
    /// <summary>The name responses and metrics carry: <c>f16</c> when keys and values agree, else <c>q8_0/f16</c> (keys/values).</summary>
    public string Name => Key == Value ? Key.Name() : $"{Key.Name()}/{Value.Name()}";

    /// <inheritdoc/>
    public override string ToString() => Name;
}
