using Wafer.Engine;
using Wafer.Server.Admission;

namespace Wafer.Server.Hosting;

/// <summary>A model the server has loaded: its weights, tokenizer and engine, and the admission control in front of that engine.</summary>
public sealed class ServedModel(LocalModel model, AdmissionController admission) : ILoadedModel
{
    public LocalModel Model { get; } = model;

    /// <summary>Bounds the requests this model's engine holds (each engine its own <c>--max-seqs</c> and queue).</summary>
    public AdmissionController Admission { get; } = admission;

    /// <summary>The mapped file, the repacked copy of its weights, the KV cache, and the embedding model if one is loaded.</summary>
    public long MemoryBytes => Model.Model.File.FileBytes + Model.Model.RepackedBytes + Model.Engine.KvCacheBytes + (Model.Encoder?.Model.File.FileBytes ?? 0);

    public ValueTask DisposeAsync() => Model.DisposeAsync();
}
