namespace Wafer.Server.Hosting;

/// <summary>A model a <see cref="ModelRegistry{T}"/> has loaded: what it holds in memory, and how to let it go.</summary>
public interface ILoadedModel : IAsyncDisposable
{
    /// <summary>Bytes the loaded model holds: its weights (mapped and repacked) and its KV cache.</summary>
    long MemoryBytes { get; }
}
