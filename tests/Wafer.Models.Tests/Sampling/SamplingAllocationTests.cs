using Wafer.Models.Sampling;

namespace Wafer.Models.Tests.Sampling;

/// <summary>Sampling a token allocates nothing once a chain has seen one call of each shape (its scratch is reused), for the
/// chains the server builds, counted with <see cref="GC.GetAllocatedBytesForCurrentThread"/>.</summary>
public class SamplingAllocationTests
{
    public static TheoryData<string, int> Chains => new()
    {
        { "greedy", 40 }, { "default", 40 }, { "default", 49_152 }, { "top-p only", 49_152 }, { "min-p only", 49_152 },
        { "no truncation", 49_152 }, { "penalties and bias", 40 }, { "penalties and bias", 49_152 },
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public void Sample_SteadyState_AllocatesNothing(string chain, int vocab)
    {
        var options = chain switch
        {
            "greedy" => SamplingOptions.Greedy,
            "default" => new SamplingOptions { Seed = 1 },
            "top-p only" => new SamplingOptions { TopK = 0, MinP = 0, TopP = 0.9f, Seed = 1 },
            "min-p only" => new SamplingOptions { TopK = 0, TopP = 1, MinP = 0.1f, Seed = 1 },
            "no truncation" => new SamplingOptions { TopK = 0, TopP = 1, MinP = 0, Seed = 1 },
            _ => new SamplingOptions
            {
                RepetitionPenalty = 1.1f, FrequencyPenalty = 0.5f, PresencePenalty = 0.2f, LogitBias = new Dictionary<int, float> { [5] = 2f, [7] = -100f }, Seed = 1,
            },
        };
        var sampler = SamplerChain.Create(options);
        var random = new Random(3);
        var logits = new float[8][];
        for (int i = 0; i < logits.Length; i++) logits[i] = Enumerable.Range(0, vocab).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        // Warm-up: the scratch buffers reach their size and the penalty window fills (64 tokens).
        for (int i = 0; i < 200; i++) sampler.Sample(logits[i % logits.Length]);

        // The runtime itself may allocate on this thread once while it tiers up a method mid-loop, so steady state is
        // "some round of 200 samples allocates nothing"; a sampler that allocates per call fails every round.
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++) sampler.Sample(logits[i % logits.Length]);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(rounds[^1] == 0, $"bytes allocated per round of 200 samples: {string.Join(", ", rounds)}");
    }
}
