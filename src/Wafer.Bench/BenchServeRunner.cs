namespace Wafer.Bench;

/// <summary>Runs one <c>wafer bench serve</c>: the same seeded workload at every load level, after an unmeasured warm-up.</summary>
/// <remarks>
/// Step 1: generate the workload from the seed (once; every level replays it, each with its own first word, so that a server's
/// prefix cache cannot serve one level from another's prompts).
/// Step 2: send the warm-up requests one at a time and discard them.
/// Step 3: per level, drive the load and summarise it against the SLOs.
/// </remarks>
internal sealed class BenchServeRunner
{
    private readonly BenchServeOptions options;
    private readonly IRequestSender sender;
    private readonly TimeProvider time;

    public BenchServeRunner(BenchServeOptions options, IRequestSender sender, TimeProvider time)
    {
        options.Validate();
        this.options = options;
        this.sender = sender;
        this.time = time;
        // Step 1
        Requests = WorkloadGenerator.Generate(options.Workload, options.RequestCount, options.Seed)
            .Select(r => r with { Greedy = options.Greedy || options.Predicted }).ToList();
    }

    public IReadOnlyList<BenchRequest> Requests { get; private set; }

    /// <summary>For <see cref="BenchServeOptions.Predicted"/>: sends every request once, unmeasured and one at a time, and gives
    /// each its answer as its prediction; returns the failed ones (those go on without a prediction).</summary>
    public async Task<IReadOnlyList<RequestRecord>> CollectPredictionsAsync(CancellationToken cancellationToken)
    {
        if (!options.Predicted) return [];
        var failed = new List<RequestRecord>();
        var predicted = new List<BenchRequest>(Requests.Count);
        long start = time.GetTimestamp();
        foreach (var request in Requests)
        {
            var record = await sender.SendAsync(request with { CaptureText = true }, start, cancellationToken).ConfigureAwait(false);
            if (!record.Success) failed.Add(record);
            predicted.Add(record.Success ? request with { Prediction = record.Text } : request);
        }
        Requests = predicted;
        return failed;
    }

    /// <summary>Step 2: sends the warm-up requests; returns the failed ones (the run goes on regardless).</summary>
    public async Task<IReadOnlyList<RequestRecord>> WarmupAsync(CancellationToken cancellationToken)
    {
        var failed = new List<RequestRecord>();
        long start = time.GetTimestamp();
        for (int i = 0; i < options.WarmupCount; i++)
        {
            var record = await sender.SendAsync(Tag(Requests[i % Requests.Count], "warm-up"), start, cancellationToken).ConfigureAwait(false);
            if (!record.Success) failed.Add(record);
        }
        return failed;
    }

    /// <summary>Step 3: runs level <paramref name="levelIndex"/> of the options and summarises it.</summary>
    public async Task<RunSummary> RunLevelAsync(int levelIndex, IProgress<int>? completed, CancellationToken cancellationToken)
    {
        var level = options.Levels[levelIndex];
        // Each level gets its own arrival sequence, reproducible from the one seed.
        int arrivalSeed = unchecked(options.Seed + 1_000_003 * (levelIndex + 1));
        List<BenchRequest> requests = [.. Requests.Select(r => Tag(r, $"level-{levelIndex + 1}"))];
        var result = await new LoadDriver(sender, time).RunAsync(requests, level, arrivalSeed, completed, cancellationToken).ConfigureAwait(false);
        return RunSummary.Compute(result, options.Slo);
    }

    /// <summary>Tags a request's prompt for one phase (warm-up, or a level) of the run, so that no phase's prompts are answered
    /// from a prefix cache filled by another; the lengths and words are the same in every phase. <c>--predicted</c> keeps the
    /// prompts as they are: its predictions are the answers to exactly those.</summary>
    private BenchRequest Tag(BenchRequest request, string tag) => options.Predicted ? request : request.Tagged(tag);
}
