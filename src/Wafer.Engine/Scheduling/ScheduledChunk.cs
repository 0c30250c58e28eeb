using Wafer.Engine.Requests;

namespace Wafer.Engine.Scheduling;

/// <summary>Part of one step's work: <see cref="TokenCount"/> tokens of a request starting at <see cref="StartPosition"/>.</summary>
/// <param name="Request">The request.</param>
/// <param name="StartPosition">Position of the first token to compute (= tokens already in the cache).</param>
/// <param name="TokenCount">Tokens to compute: 1 for a decode step, more for a prefill chunk.</param>
/// <param name="SamplesToken">True when the chunk reaches the request's last token, so its logits give the next token.</param>
/// <param name="DraftCount">Speculative decoding: the chunk is the request's last token followed by this many draft tokens
/// (<see cref="EngineRequest.Draft"/>), each position sampled to verify the draft before it.</param>
public readonly record struct ScheduledChunk(EngineRequest Request, int StartPosition, int TokenCount, bool SamplesToken, int DraftCount = 0);
