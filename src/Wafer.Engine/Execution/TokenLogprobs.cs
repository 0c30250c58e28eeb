namespace Wafer.Engine.Execution;

/// <summary>The log-probability of a generated token and of the most likely alternatives at its position.</summary>
/// <param name="LogProb">log-softmax of the model's logits (before sampling) at the chosen token.</param>
/// <param name="Top">The most likely (token, logprob) pairs, best first.</param>
public sealed record TokenLogprobs(float LogProb, (int Token, float LogProb)[] Top);
