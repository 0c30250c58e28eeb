namespace Wafer.Bench;

/// <summary>Applies one load level to a server: closed loop (C requests always in flight) or open loop (Poisson arrivals at rate R).</summary>
/// <remarks>
/// Step 1: note the level's start on the injected clock.
/// Step 2: closed loop — C workers each take the next request as soon as their previous one ends;
///         open loop — each request is sent at its arrival time, whatever is still in flight.
/// Step 3: wait for every request; the level's duration ends when the last one does.
/// </remarks>
internal sealed class LoadDriver(IRequestSender sender, TimeProvider time)
{
    /// <summary>Runs every request of <paramref name="requests"/> at <paramref name="level"/>; <paramref name="arrivalSeed"/> seeds the Poisson arrivals.</summary>
    public async Task<LevelResult> RunAsync(IReadOnlyList<BenchRequest> requests, LoadLevel level, int arrivalSeed,
        IProgress<int>? completed, CancellationToken cancellationToken)
    {
        var records = new RequestRecord[requests.Count];
        int doneCount = 0;
        // Step 1
        long start = time.GetTimestamp();
        async Task SendOne(int index)
        {
            records[index] = await sender.SendAsync(requests[index], start, cancellationToken).ConfigureAwait(false);
            completed?.Report(Interlocked.Increment(ref doneCount));
        }

        // Step 2
        if (level.Concurrency is int concurrency)
        {
            int next = -1;
            var workers = new Task[Math.Min(concurrency, requests.Count)];
            for (int w = 0; w < workers.Length; w++)
                workers[w] = Task.Run(async () =>
                {
                    for (int i = Interlocked.Increment(ref next); i < requests.Count; i = Interlocked.Increment(ref next))
                        await SendOne(i).ConfigureAwait(false);
                }, cancellationToken);
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        else
        {
            double[] offsets = PoissonArrivals.OffsetsSeconds(requests.Count, level.Rate!.Value, new Random(arrivalSeed));
            var inFlight = new Task[requests.Count];
            for (int i = 0; i < requests.Count; i++)
            {
                // Timers run on a coarse clock (4 ms on Linux) and may fire early: wait again until the arrival time has passed.
                // Task.Delay counts whole milliseconds (a shorter wait returns at once), so round up rather than spin.
                for (var wait = TimeSpan.FromSeconds(offsets[i]) - time.GetElapsedTime(start); wait > TimeSpan.Zero;
                     wait = TimeSpan.FromSeconds(offsets[i]) - time.GetElapsedTime(start))
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), time, cancellationToken).ConfigureAwait(false);
                int index = i;
                inFlight[i] = Task.Run(() => SendOne(index), cancellationToken);
            }
            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }

        // Step 3
        return new LevelResult(level, records, time.GetElapsedTime(start).TotalSeconds);
    }
}
