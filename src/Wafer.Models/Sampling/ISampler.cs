namespace Wafer.Models.Sampling;

/// <summary>One step of a sampler chain: narrows or reweights the candidates.</summary>
public interface ISampler
{
    /// <summary>Short name for logs (e.g. "top-k").</summary>
    string Name { get; }

    /// <summary>Transforms the candidates in place.</summary>
    void Apply(TokenCandidates candidates);

    /// <summary>Tells the sampler which token was finally chosen (for history-based samplers).</summary>
    void Accept(int token) { }
}
