namespace Wafer.Router.Policies;

/// <summary>What a policy may know about a request.</summary>
/// <param name="PrefixKey">Leading text of the rendered prompt (system prompt first), for affinity.</param>
/// <param name="EstimatedTokens">Prompt tokens (estimated from characters) plus max_tokens.</param>
public sealed record RoutingContext(string PrefixKey, long EstimatedTokens);
