using Wafer.Engine.Requests;
using Wafer.Engine.Tests.Support;
using Wafer.Models;
using Wafer.Models.Sampling;
using Wafer.Models.Tests.Architectures;

namespace Wafer.Engine.Tests;

/// <summary>The engine's contract: validation once and with the parameter named, one exit per request, no caller left waiting.</summary>
public class InferenceEngineContractTests
{
    /// <summary>Only a hang detector: a healthy run finishes in milliseconds, however busy the machine.</summary>
    private static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(60);

    private static GenerationRequest Request(int promptLength, int? maxTokens = 4) =>
        new() { PromptTokens = Enumerable.Range(3, promptLength).Select(i => i % TinyModel.Vocab).ToArray(), MaxTokens = maxTokens, IgnoreEndOfGeneration = true };

    private static async Task<List<TokenEvent>> Collect(GenerationStream stream)
    {
        var events = new List<TokenEvent>();
        await foreach (var e in stream) events.Add(e);
        return events;
    }

    [Fact]
    public async Task ContextLength_ZeroAsked_ResolvedToTheModelsOnce()
    {
        await using var tiny = new TinyEngine(context: 0);
        Assert.Equal(TinyModel.Context, tiny.Engine.ContextLength);
        Assert.Equal(TinyModel.Context, tiny.Engine.Options.Scheduler.ContextLength);
        await using var larger = tiny.Start(context: 10 * TinyModel.Context);
        Assert.Equal(TinyModel.Context, larger.ContextLength);
        await using var smaller = tiny.Start(context: 16);
        Assert.Equal(16, smaller.ContextLength);
    }

    [Fact]
    public async Task Submit_PromptAsLongAsTheContextWithoutMaxTokens_ContextLengthExceeded()
    {
        await using var tiny = new TinyEngine(context: 32);
        var e = Assert.Throws<InvalidParameterException>(() => tiny.Engine.Submit(Request(32, maxTokens: null)));
        Assert.Equal(("prompt", "context_length_exceeded"), (e.Parameter, e.Code));
        Assert.Contains("32", e.Message);
    }

    [Fact]
    public async Task Submit_PromptPlusMaxTokensOverTheContext_ContextLengthExceeded()
    {
        await using var tiny = new TinyEngine(context: 32);
        var e = Assert.Throws<InvalidParameterException>(() => tiny.Engine.Submit(Request(20, maxTokens: 13)));
        Assert.Equal(("prompt", "context_length_exceeded"), (e.Parameter, e.Code));
        Assert.Equal(12, (await Collect(tiny.Engine.Submit(Request(20, maxTokens: 12))))[^1].Usage!.CompletionTokens);
    }

    [Fact]
    public async Task Submit_NoMaxTokens_GeneratesUntilTheContextIsFull()
    {
        await using var tiny = new TinyEngine(context: 32);
        var events = await Collect(tiny.Engine.Submit(Request(20, maxTokens: null)));
        Assert.Equal(12, events.Count);
        Assert.Equal(FinishReason.Length, events[^1].FinishReason);
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("top_logprobs")]
    [InlineData("stop")]
    [InlineData("logit_bias")]
    [InlineData("prompt")]
    public async Task Submit_BadField_InvalidParameterNamesIt(string field)
    {
        await using var tiny = new TinyEngine();
        var request = Request(4);
        request = field switch
        {
            "max_tokens" => request with { MaxTokens = 0 },
            "temperature" => request with { Sampling = new SamplingOptions { Temperature = -1 } },
            "top_p" => request with { Sampling = new SamplingOptions { TopP = 0 } },
            "top_logprobs" => request with { TopLogprobs = 21 },
            "stop" => request with { StopStrings = [""] },
            "logit_bias" => request with { Sampling = SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [TinyModel.Vocab] = 1 } } },
            _ => request with { PromptTokens = [1, TinyModel.Vocab + 5] },
        };
        var e = Assert.Throws<InvalidParameterException>(() => tiny.Engine.Submit(request));
        Assert.Equal(field, e.Parameter);
        Assert.Equal(0, tiny.Engine.KvBlocks.Used);
    }

    [Fact]
    public async Task Submit_AfterStop_ThrowsAtOnce()
    {
        await using var tiny = new TinyEngine();
        await tiny.Engine.StopAsync(TimeSpan.Zero);
        Assert.Throws<EngineStoppedException>(() => tiny.Engine.Submit(Request(4)));
        await Assert.ThrowsAsync<EngineStoppedException>(() => tiny.Engine.EmbedAsync([1, 2, 3]));
    }

    [Fact]
    public async Task Submit_RacingStop_EveryCallerGetsAnAnswer()
    {
        await using var tiny = new TinyEngine();
        for (int round = 0; round < 40; round++)
        {
            var engine = round == 0 ? tiny.Engine : tiny.Start();
            var callers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                try
                {
                    var events = await Collect(engine.Submit(Request(3 + i)));
                    return events[^1].FinishReason != null ? "finished" : "incomplete";
                }
                catch (EngineStoppedException)
                {
                    return "refused";
                }
            })).ToArray();
            var stop = Task.Run(() => engine.StopAsync(round % 2 == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(30)));
            var outcomes = await Task.WhenAll(callers).WaitAsync(HangTimeout);
            await stop.WaitAsync(HangTimeout);
            Assert.DoesNotContain("incomplete", outcomes);
            Assert.Equal(0, engine.KvBlocks.Used);
            if (round > 0) await engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task StopAsync_WithDrain_LetsRequestsInFlightFinish()
    {
        await using var tiny = new TinyEngine();
        var stream = tiny.Engine.Submit(Request(4, maxTokens: 20));
        await stream.Accepted;
        await tiny.Engine.StopAsync(TimeSpan.FromSeconds(60));
        var events = await Collect(stream).WaitAsync(HangTimeout);
        Assert.Equal(FinishReason.Length, events[^1].FinishReason);
        Assert.Equal(20, events.Count);
    }

    [Fact]
    public async Task Step_Fails_StreamsEndWithTheErrorAndTheEngineGoesOn()
    {
        await using var tiny = new TinyEngine();
        int steps = 0;
        tiny.Engine.BeforeStep = _ =>
        {
            if (Interlocked.Increment(ref steps) == 3) throw new InvalidDataException("injected");
        };
        var events = new List<TokenEvent>();
        var error = await Assert.ThrowsAsync<EngineFailureException>(async () =>
        {
            await foreach (var e in tiny.Engine.Submit(Request(4, maxTokens: 10))) events.Add(e);
        });
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Null(e.FinishReason));
        Assert.IsType<InvalidDataException>(error.InnerException);
        Assert.Equal(0, tiny.Engine.KvBlocks.Used);

        var next = await Collect(tiny.Engine.Submit(Request(4, maxTokens: 3)));
        Assert.Equal(FinishReason.Length, next[^1].FinishReason);
    }

    [Fact]
    public async Task Submit_CancelledToken_EndsWithCancellationAndFreesBlocks()
    {
        await using var tiny = new TinyEngine(context: 64);
        using var cts = new CancellationTokenSource();
        // Cancelled from the engine thread before the third step: the cancellation is applied before the fourth, however fast
        // the steps run, so the request ends after exactly three tokens.
        int steps = 0;
        tiny.Engine.BeforeStep = _ =>
        {
            if (++steps == 3) cts.Cancel();
        };
        var stream = tiny.Engine.Submit(Request(4, maxTokens: null), cts.Token);
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in stream) seen++;
        });
        Assert.Equal(3, seen);
        tiny.Engine.BeforeStep = null;
        var next = await Collect(tiny.Engine.Submit(Request(2, maxTokens: 1)));
        Assert.Single(next);
        Assert.Equal(0, tiny.Engine.KvBlocks.Used);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task Submit_Logprobs_ReportedForEveryToken(int top)
    {
        await using var tiny = new TinyEngine();
        var events = await Collect(tiny.Engine.Submit(Request(4, maxTokens: 5) with { TopLogprobs = top }));
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Equal(top, e.Logprobs!.Top.Length));
        Assert.All(events, e => Assert.True(e.Logprobs!.LogProb <= 0));
    }

    [Fact]
    public async Task Accepted_BeforeAnyToken_Completes()
    {
        await using var tiny = new TinyEngine();
        var stream = tiny.Engine.Submit(Request(4, maxTokens: 2));
        await stream.Accepted.WaitAsync(HangTimeout);
        Assert.Equal(2, (await Collect(stream)).Count);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Collect(stream));
    }
}
