namespace Wafer.Bench.Tests;

/// <summary>Tests that compare measured latencies with a schedule run alone, so other tests do not steal their CPU.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
