namespace Wafer.Engine.Commands;

/// <summary>Tokens to embed between two steps and where the vector goes.</summary>
internal sealed record EmbedCommand(IReadOnlyList<int> Tokens, TaskCompletionSource<float[]> Result, Wafer.Models.Architectures.BertModel? Encoder = null) : EngineCommand;
