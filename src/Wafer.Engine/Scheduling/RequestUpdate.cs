using Wafer.Engine.Requests;

namespace Wafer.Engine.Scheduling;

/// <summary>A token one step generated for a request, and the index of the chunk (in the step's batch order) that produced it,
/// so results of the forward pass (logprobs) are looked up by index rather than by walking two lists in step.</summary>
/// <param name="Remaining">Tokens the same chunk generated after this one (speculative decoding generates several per step;
/// the request's token list already holds them all).</param>
public readonly record struct RequestUpdate(EngineRequest Request, int Token, int ChunkIndex, int Remaining = 0);
