using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class RunSummaryTests
{
    private static RequestRecord Ok(int index, double ttft, double[] itl, int tokens) => new()
    {
        Index = index, StartMs = 0, StatusCode = 200, TtftMs = ttft, ItlMs = itl, E2eMs = ttft + itl.Sum(), OutputTokens = tokens, PromptTokens = 10,
    };

    private static readonly LevelResult Level = new(LoadLevel.ClosedLoop(2),
    [
        Ok(0, 40, [10, 10, 10], 4),
        Ok(1, 90, [10, 10, 10], 4),  // TTFT too slow
        Ok(2, 40, [30, 30, 30], 4),  // ITL too slow
        Ok(3, 45, [], 1),            // one token: no ITL, meets the ITL SLO
        new RequestRecord { Index = 4, StartMs = 0, StatusCode = 429, ErrorKind = "429", E2eMs = 1 },
    ], DurationSeconds: 2);

    [Fact]
    public void Compute_WithSlos_GoodputCountsRequestsMeetingBoth()
    {
        var run = RunSummary.Compute(Level, new SloOptions(TtftMs: 50, ItlMs: 20));

        Assert.Equal(4, run.RequestsCompleted);
        Assert.Equal(1, run.Errors);
        Assert.Equal(2 / 2.0, run.Goodput);
        Assert.Equal(4 / 2.0, run.RequestThroughput);
        Assert.Equal(13 / 2.0, run.OutputTokenThroughput);
        Assert.Equal(9, run.ItlMs.Count);
        Assert.Equal(90, run.TtftMs.Max);
    }

    [Fact]
    public void Compute_WithoutSlos_GoodputNull() => Assert.Null(RunSummary.Compute(Level, new SloOptions(null, null)).Goodput);
}
