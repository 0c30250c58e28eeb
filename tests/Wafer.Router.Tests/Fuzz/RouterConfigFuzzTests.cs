using System.Text;
using Wafer.Router.Configuration;
using Wafer.Tests.Fuzz;

namespace Wafer.Router.Tests.Fuzz;

/// <summary>Mutated router.json files (types swapped, nulls, huge numbers, deep nesting, duplicate keys, invalid UTF-8,
/// truncation) load or fail with an <see cref="InvalidDataException"/> naming the problem, never another exception.</summary>
public sealed class RouterConfigFuzzTests
{
    /// <summary>The full example of docs/router.md and a minimal one.</summary>
    internal static readonly string[] Seeds =
    [
        """
        {
          "backends": [
            {"name": "r0", "url": "http://127.0.0.1:8081", "models": ["stories"]},
            {"name": "r1", "url": "http://127.0.0.1:8082", "models": ["stories"], "apiKey": "k1", "weight": 2},
            {"name": "small", "url": "http://127.0.0.1:8083", "models": ["qa"], "tier": 0, "costPer1kInput": 0.1, "costPer1kOutput": 0.2},
            {"name": "large", "url": "http://127.0.0.1:8084", "models": ["qa"], "tier": 1, "costPer1kInput": 1.0, "costPer1kOutput": 2.0}
          ],
          "routes": [
            {"model": "stories", "backends": ["r0", "r1"], "policy": "prefix-affinity", "prefixChars": 256, "loadFactor": 1.25,
             "maxAttempts": 3, "retryBudgetRatio": 0.1, "firstTokenTimeoutMs": 30000,
             "hedging": {"adaptive": true, "percentile": 0.95, "minDelayMs": 20, "delayMs": 100, "budgetRatio": 0.05}},
            {"model": "qa", "backends": ["small", "large"], "policy": "cascade",
             "cascade": {"minMeanLogprob": -2.5, "escalateOnEmpty": true, "escalateOnTruncated": true, "checkJson": true, "streamDecisionTokens": 8}}
          ],
          "health": {"probeIntervalMs": 1000, "probeTimeoutMs": 1000, "failureRatio": 0.5, "minimumThroughput": 3, "samplingWindowMs": 5000, "breakMs": 2000},
          "rateLimits": {"requestsPerMinute": 600, "tokensPerMinute": 200000, "keys": {"batch-key": {"requestsPerMinute": 6000}}}
        }
        """,
        """{"backends": [{"name": "r0", "url": "http://127.0.0.1:8081", "models": ["m"]}], "routes": [{"model": "m", "backends": ["r0"]}]}""",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Parse_MutatedConfigs_LoadOrInvalidDataException(int seed)
    {
        var others = Seeds.Select(Encoding.UTF8.GetBytes).ToList();
        FuzzRunner.Run("router-config", seed, FuzzRunner.Iterations(1500), r => JsonMutator.Mutate(Seeds[r.Next(Seeds.Length)], r, others),
            input => RouterConfigLoader.Parse(Encoding.UTF8.GetString(input), "router.json"), e => e is InvalidDataException);
    }
}
