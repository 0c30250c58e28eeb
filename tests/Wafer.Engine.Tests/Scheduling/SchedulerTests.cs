using Wafer.Engine.KvCache;
using Wafer.Engine.Requests;
using Wafer.Engine.Scheduling;

namespace Wafer.Engine.Tests.Scheduling;

/// <summary>vLLM-style scheduler tests: add requests, Schedule(), assert on the output; no model.</summary>
public class SchedulerTests
{
    private const int Eos = 2;
    private long _nextId;

    private static Scheduler Create(int blocks = 64, int blockSize = 4, int budget = 16, int maxSequences = 8, int context = 64) =>
        new(new SchedulerOptions { MaxBatchTokens = budget, MaxSequences = maxSequences, ContextLength = context },
            new KvCacheManager(blocks, blockSize));

    private EngineRequest Request(int promptLength, int maxTokens = 4, RequestPriority priority = RequestPriority.Normal, int firstToken = 10)
    {
        long id = ++_nextId;
        return new EngineRequest(id, new GenerationRequest
        {
            PromptTokens = Enumerable.Range(firstToken, promptLength).ToArray(),
            MaxTokens = maxTokens,
            Priority = priority,
        }, id);
    }

    private static List<RequestUpdate> Step(Scheduler s, out SchedulerOutput output, int token = 5)
    {
        output = s.Schedule();
        var sampled = Enumerable.Repeat(token, output.Chunks.Count).ToArray();
        return s.Update(output, sampled);
    }

    [Fact]
    public void Schedule_ShortPrompts_AllPrefilledInOneStep()
    {
        var s = Create();
        var a = Request(5);
        var b = Request(6);
        s.Add(a);
        s.Add(b);

        var output = s.Schedule();

        Assert.Equal([(a, 0, 5, true), (b, 0, 6, true)], output.Chunks.Select(c => (c.Request, c.StartPosition, c.TokenCount, c.SamplesToken)));
        Assert.Equal(11, output.TokenCount);
    }

    [Fact]
    public void Schedule_LongPrompt_IsChunkedAndDecodesGoFirst()
    {
        var s = Create(budget: 8);
        var chat = Request(3, maxTokens: 10);
        s.Add(chat);
        Step(s, out _);                      // chat prefilled, 1 token generated
        var longPrompt = Request(20);
        s.Add(longPrompt);

        var output = s.Schedule();

        Assert.Equal(chat, output.Chunks[0].Request);
        Assert.Equal(1, output.Chunks[0].TokenCount);       // decode first
        Assert.Equal(longPrompt, output.Chunks[1].Request);
        Assert.Equal(7, output.Chunks[1].TokenCount);       // the rest of the budget
        Assert.False(output.Chunks[1].SamplesToken);
        s.Update(output, [5, -1]);

        var next = s.Schedule();
        Assert.Equal([1, 7], next.Chunks.Select(c => c.TokenCount));
        Assert.Equal(7, next.Chunks[1].StartPosition);
    }

    [Fact]
    public void Schedule_LongPrefillChunk_CapsOneRequestAndLeavesBudgetForOthers()
    {
        var s = new Scheduler(new SchedulerOptions { MaxBatchTokens = 64, LongPrefillChunk = 16, ContextLength = 256 },
            new KvCacheManager(64, 4));
        var longPrompt = Request(100);
        var chat = Request(10, firstToken: 300);
        s.Add(longPrompt);
        s.Add(chat);

        var output = s.Schedule();

        Assert.Equal([(longPrompt, 16), (chat, 10)], output.Chunks.Select(c => (c.Request, c.TokenCount)));
    }

    [Fact]
    public void Update_EndOfGenerationToken_AppendsButLeavesTheDecisionToTheEngine()
    {
        var kv = new KvCacheManager(16, 4);
        var s = new Scheduler(new SchedulerOptions { MaxBatchTokens = 16, ContextLength = 64 }, kv);
        var r = Request(5);
        s.Add(r);

        var update = Step(s, out _, token: Eos).Single();

        Assert.Equal((r, Eos, 0), (update.Request, update.Token, update.ChunkIndex));
        Assert.Equal(RequestStatus.Running, r.Status);
        Assert.True(s.HasWork);
    }

    [Fact]
    public void Finish_AfterUpdate_FreesBlocksWithTheReason()
    {
        var kv = new KvCacheManager(16, 4);
        var s = new Scheduler(new SchedulerOptions { MaxBatchTokens = 16, ContextLength = 64 }, kv);
        var r = Request(5);
        s.Add(r);
        Step(s, out _, token: Eos);

        Assert.True(s.Finish(r.Id, FinishReason.Stop));

        Assert.Equal(RequestStatus.Finished, r.Status);
        Assert.Equal(FinishReason.Stop, r.FinishReason);
        Assert.Equal(16, kv.FreeBlocks);
        Assert.False(s.HasWork);
        Assert.False(s.Finish(r.Id, FinishReason.Stop));
    }

    [Fact]
    public void Update_SeveralChunks_EachUpdateNamesItsChunkIndex()
    {
        var s = Create(budget: 64);
        var a = Request(3);
        var b = Request(4);
        s.Add(a);
        s.Add(b);
        var updates = Step(s, out var output);
        Assert.Equal([0, 1], updates.Select(u => u.ChunkIndex));
        Assert.Equal([a, b], updates.Select(u => output.Chunks[u.ChunkIndex].Request));
    }

    [Fact]
    public void Schedule_MaxSequences_LeavesTheRestWaiting()
    {
        var s = Create(maxSequences: 2);
        for (int i = 0; i < 3; i++) s.Add(Request(2));
        var output = s.Schedule();
        Assert.Equal(2, output.Chunks.Count);
        Assert.Equal(1, s.WaitingCount);
    }

    [Fact]
    public void Schedule_HighPriorityWaiting_GoesFirst()
    {
        var s = Create(maxSequences: 1);
        var normal = Request(2);
        var high = Request(2, priority: RequestPriority.High);
        s.Add(normal);
        s.Add(high);
        Assert.Equal(high, s.Schedule().Chunks.Single().Request);
    }

    [Fact]
    public void Schedule_OutOfBlocks_PreemptsNewestLowestPriority()
    {
        // 4 blocks of 4 tokens; two requests of 7 tokens hold 2 blocks each; the next decode needs a third.
        var s = Create(blocks: 4, blockSize: 4, context: 16);
        var older = Request(7, maxTokens: 8);
        var newer = Request(7, maxTokens: 8, firstToken: 50);
        s.Add(older);
        s.Add(newer);
        Step(s, out _); // both at 8 tokens, 7 computed: 2 blocks each, the pool is full
        Step(s, out _); // both at 9 tokens, 8 computed
        var output = s.Schedule(); // older needs a 3rd block for its 9th token → newer is preempted

        Assert.Equal(newer, output.Preempted.Single());
        Assert.Equal(RequestStatus.Preempted, newer.Status);
        Assert.Equal(0, newer.ComputedCount);
        Assert.Equal(older, output.Chunks.Single().Request);
        s.Update(output, [5]);

        // Once the older request finishes, the preempted one is recomputed from the start (prompt + its output so far).
        // (the engine finishes a request at its max tokens; here the test does)
        while (older.Status == RequestStatus.Running)
            foreach (var u in Step(s, out _))
                if (u.Request.OutputCount >= u.Request.MaxTokens) s.Finish(u.Request.Id, FinishReason.Length);
        var resumed = s.Schedule();
        Assert.Equal(newer, resumed.Chunks.Single().Request);
        Assert.Equal(9, resumed.Chunks.Single().TokenCount);
    }

    [Fact]
    public void Schedule_SharedPrefix_StartsAfterCachedBlocks()
    {
        var s = Create(blockSize: 4);
        var first = Request(10);
        s.Add(first);
        Step(s, out _);
        var second = Request(10);
        s.Add(second);

        var output = s.Schedule();

        var chunk = output.Chunks.Single(c => c.Request == second);
        Assert.Equal(8, chunk.StartPosition);
        Assert.Equal(2, chunk.TokenCount);
        Assert.Equal(8, second.CachedPromptCount);
    }

    [Fact]
    public void Cancel_WaitingOrRunning_RemovesAndFrees()
    {
        var kv = new KvCacheManager(16, 4);
        var s = new Scheduler(new SchedulerOptions { MaxBatchTokens = 16, MaxSequences = 1, ContextLength = 64 }, kv);
        var running = Request(5);
        var waiting = Request(5);
        s.Add(running);
        s.Add(waiting);
        Step(s, out _);

        Assert.True(s.Cancel(running.Id));
        Assert.True(s.Cancel(waiting.Id));
        Assert.False(s.Cancel(waiting.Id));
        Assert.Equal(RequestStatus.Cancelled, running.Status);
        Assert.Equal(16, kv.FreeBlocks);
        Assert.False(s.HasWork);
    }

    [Fact]
    public void Add_PromptAsLongAsTheContext_RejectedAsAnEngineBug()
    {
        var s = Create(context: 8);
        Assert.Throws<InvalidOperationException>(() => s.Add(Request(8)));
    }

    [Fact]
    public void Create_CacheSmallerThanContext_Rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Create(blocks: 2, blockSize: 4, context: 16));
        Assert.Contains("less than one context", e.Message);
    }
}
