using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;
using Wafer.Engine.Tests.Support;
using Wafer.Models.Sampling;
using Wafer.Models.Tests.Architectures;

namespace Wafer.Engine.Tests.Execution;

/// <summary>The engine's step loop allocates nothing in steady state: between two decode steps of the same batch the engine
/// thread allocates 0 bytes (forward pass, sampling, detokenization, stop checks, delivery), counted with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>. Readers run on other threads and drain the streams as they go.</summary>
public class StepAllocationTests
{
    private const int Requests = 4, MaxTokens = 56;

    public static TheoryData<int, string> Cases => new()
    {
        { 1, "greedy" }, { 2, "greedy" }, { 1, "default chain" }, { 2, "default chain" }, { 1, "greedy stop" }, { 1, "sampled" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DecodeSteps_SteadyState_AllocateNothingOnTheEngineThread(int threads, string sampling)
    {
        await using var tiny = new TinyEngine(threads: threads);
        var options = sampling.StartsWith("greedy")
            ? SamplingOptions.Greedy
            : new SamplingOptions { Temperature = 0.8f, TopP = 0.95f, RepetitionPenalty = 1.1f, LogitBias = new Dictionary<int, float> { [5] = 2f }, Seed = 7 };
        string[] stops = sampling == "greedy" || sampling == "sampled" ? [] : ["no such text"];

        // Round 1 warms up what is filled once (per-thread scratch, the tokenizer's piece strings, the KV pool's blocks);
        // rounds 2–4, the same requests with the same seeds, are measured until one has no allocating step (the runtime may
        // allocate once on this thread while it tiers up a method; a per-step allocation shows in every round).
        await Run(tiny, options, stops);
        List<long> deltas = [];
        int[] counts = [];
        var failures = new List<string>();
        bool clean = false;
        for (int round = 0; round < 3; round++)
        {
            deltas = new List<long>(4 * MaxTokens);
            long previous = -1;
            var seen = deltas;
            var read = new int[Requests];
            tiny.Engine.BeforeStep = step =>
            {
                long now = GC.GetAllocatedBytesForCurrentThread();
                bool steady = step.Chunks.Count == Requests && AllDecoding(step);
                if (steady && previous >= 0) seen.Add(now - previous);
                // A stream buffers what its reader has not taken yet, and its queue grows (allocates) past 32 unread events:
                // that is the reader falling behind (a busy thread pool), not the step. Give the readers a moment to catch
                // up, and measure the next step only when none is more than a few events behind.
                steady = steady && ReadersCaughtUp(step, read);
                // Measure again after the hook's own bookkeeping so the list's growth is not counted.
                previous = steady ? GC.GetAllocatedBytesForCurrentThread() : -1;
            };
            counts = await Run(tiny, options, stops, read);
            tiny.Engine.BeforeStep = null;
            var allocating = deltas.Select((bytes, i) => (bytes, i)).Where(d => d.bytes != 0).ToList();
            // Steps with all four requests decoding: most of the 56, unless the engine ran one request before the others were
            // submitted (a busy machine can delay the submitting thread); such a round measures nothing and is run again.
            if (deltas.Count < MaxTokens / 2)
            {
                failures.Add($"round {round + 2}: only {deltas.Count} steady decode steps were seen");
                continue;
            }
            if (allocating.Count == 0)
            {
                clean = true;
                break;
            }
            failures.Add($"round {round + 2}: {allocating.Count} of {deltas.Count} steady steps allocated: " +
                string.Join(", ", allocating.Take(8).Select(d => $"step {d.i}: {d.bytes} B")));
        }

        Assert.All(counts, n => Assert.Equal(MaxTokens, n));
        Assert.True(clean, string.Join("; ", failures));
    }

    private static Task<int[]> Run(TinyEngine tiny, SamplingOptions options, string[] stops, int[]? read = null)
    {
        var streams = Enumerable.Range(0, Requests).Select(i => tiny.Engine.Submit(new GenerationRequest
        {
            PromptTokens = [1, 3 + i, 7, 11],
            MaxTokens = MaxTokens,
            IgnoreEndOfGeneration = true,
            Sampling = options,
            StopStrings = stops,
        })).ToArray();
        return Task.WhenAll(streams.Select((s, i) => Task.Run(async () =>
        {
            int n = 0;
            await foreach (var _ in s)
            {
                n++;
                if (read != null) Volatile.Write(ref read[i], n);
            }
            return n;
        })));
    }

    /// <summary>Waits up to a second (allocating nothing) until every stream's reader is at most a few events behind what the
    /// engine wrote; false when one still lags.</summary>
    private static bool ReadersCaughtUp(SchedulerOutput step, int[] read)
    {
        const int MaxUnread = 4;
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency;
        while (true)
        {
            // The four requests were submitted one after another, so their ids are consecutive: the lowest is reader 0.
            long first = long.MaxValue;
            for (int i = 0; i < step.Chunks.Count; i++) first = Math.Min(first, step.Chunks[i].Request.Id);
            bool caughtUp = true;
            for (int i = 0; i < step.Chunks.Count; i++)
            {
                var request = step.Chunks[i].Request;
                long reader = request.Id - first;
                if (reader >= read.Length || request.OutputCount - Volatile.Read(ref read[reader]) > MaxUnread) caughtUp = false;
            }
            if (caughtUp) return true;
            if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline) return false;
            Thread.Sleep(1);
        }
    }

    private static bool AllDecoding(SchedulerOutput step)
    {
        for (int i = 0; i < step.Chunks.Count; i++)
            if (step.Chunks[i].TokenCount != 1 || step.Chunks[i].Request.OutputCount < 1) return false;
        return true;
    }
}
