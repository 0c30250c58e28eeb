namespace Wafer.Engine.Commands;

/// <summary>Sentences to embed between two steps (by <see cref="Encoder"/> in one batch, or by the served model one at a
/// time) and where their vectors go.</summary>
internal sealed record EmbedCommand(IReadOnlyList<IReadOnlyList<int>> Sentences, TaskCompletionSource<float[][]> Result, Wafer.Models.Architectures.BertModel? Encoder = null) : EngineCommand;
