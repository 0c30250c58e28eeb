using System.Text.Json;
using Wafer.Engine.Requests;
using Wafer.Engine.Speculation;
using Wafer.Models.Sampling;

namespace Wafer.Engine.Tests.Speculation;

/// <summary>Speculative decoding on stories260K (a real trained model) with n-gram drafts: the output is the same token for
/// token as without speculation, greedy and seeded, alone and in a batch, with cancellations; usage and limits hold.</summary>
public class SpeculativeDecodingTests
{
    // The fixed bar (no measured cost): how many drafts a step gets must not depend on how fast this machine is today.
    private static readonly SpeculationOptions Ngram = new() { Method = SpeculationMethod.Ngram, MaxDraftTokens = 5, SaturationRows = 64, MeasuredCost = false };

    /// <summary>The proposers under test: n-gram lookup, the Q4_0 fixture as a draft model, the target requantized at load.</summary>
    private static SpeculationOptions Method(string name) => name switch
    {
        "ngram" => Ngram,
        "draft" => Ngram with { Method = SpeculationMethod.Draft, Draft = Fixtures.Path("models/stories260K-Q4_0.gguf") },
        _ => Ngram with { Method = SpeculationMethod.Draft, Draft = "self:Q4_0" },
    };

    /// <summary>The golden prompts, each followed by its own first 12 golden tokens twice: stories repeat themselves, and the
    /// repetition gives the n-gram proposer something to find (the answers are the model's either way).</summary>
    private static List<int[]> Prompts()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/completions/stories260K.json")));
        var prompts = new List<int[]>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var prompt = c.GetProperty("prompt_tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
            var golden = c.GetProperty("generated_tokens").EnumerateArray().Select(t => t.GetInt32()).Take(12).ToArray();
            prompts.Add(prompt);
            prompts.Add([.. prompt, .. golden, .. prompt[1..], .. golden]);
        }
        return prompts;
    }

    private static async Task<int[]> Tokens(InferenceEngine engine, GenerationRequest request) =>
        [.. (await EngineFixture.Collect(engine, request)).Select(e => e.Token)];

    [Theory]
    [InlineData("ngram")]
    [InlineData("draft")]
    [InlineData("self")]
    public async Task Greedy_GoldenPrompts_SameTokensWithAndWithout(string method)
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var plain = EngineFixture.Start(model, tokenizer);
        await using var spec = EngineFixture.Start(model, tokenizer, speculation: Method(method));
        foreach (var prompt in Prompts())
        {
            var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = 64, Sampling = SamplingOptions.Greedy };
            Assert.Equal(await Tokens(plain, request), await Tokens(spec, request));
        }
        var (drafted, accepted) = spec.SpeculationCounts;
        Assert.True(drafted > 50, $"only {drafted} draft tokens were proposed");
        Assert.True(accepted > 0, "no draft was ever accepted");
        Assert.Equal((0L, 0L), plain.SpeculationCounts);
    }

    [Theory]
    [InlineData("ngram")]
    [InlineData("draft")]
    public async Task Seeded_SameTextWithAndWithout(string method)
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var plain = EngineFixture.Start(model, tokenizer);
        await using var spec = EngineFixture.Start(model, tokenizer, speculation: Method(method));
        int i = 0;
        foreach (var prompt in Prompts())
        {
            var request = new GenerationRequest
            {
                PromptTokens = prompt, MaxTokens = 48,
                Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.95f, RepetitionPenalty = 1.1f, Seed = (ulong)(7 + i++) },
            };
            Assert.Equal(await Tokens(plain, request), await Tokens(spec, request));
        }
        Assert.True(spec.SpeculationCounts.Accepted > 0);
    }

    /// <summary>Eight sequences share each step (drafts, decode rows and prefill chunks mixed), one is cancelled in the middle
    /// of its generation: every other sequence's tokens equal its tokens alone without speculation, and the pool empties.</summary>
    [Theory]
    [InlineData("ngram")]
    [InlineData("draft")]
    public async Task Batch_EightSequencesOneCancelled_SameTokensAsAlone(string method)
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        var prompts = Prompts().Take(8).ToList();
        var requests = prompts.Select((p, i) => new GenerationRequest
        {
            PromptTokens = p, MaxTokens = 60,
            Sampling = i % 2 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 0.9f, TopK = 20, Seed = (ulong)i },
        }).ToList();
        var alone = new List<int[]>();
        await using (var plain = EngineFixture.Start(model, tokenizer))
            foreach (var r in requests) alone.Add(await Tokens(plain, r));

        await using var spec = EngineFixture.Start(model, tokenizer, maxSequences: 8, batchTokens: 64, speculation: Method(method));
        using var cancel = new CancellationTokenSource();
        var together = await Task.WhenAll(requests.Select(async (r, i) =>
        {
            var tokens = new List<int>();
            try
            {
                await foreach (var e in spec.GenerateAsync(r, i == 3 ? cancel.Token : default))
                {
                    tokens.Add(e.Token);
                    if (i == 3 && tokens.Count == 5) cancel.Cancel();
                }
            }
            catch (OperationCanceledException) when (i == 3)
            {
                return null;
            }
            return tokens.ToArray();
        })).WaitAsync(TimeSpan.FromMinutes(2));

        for (int i = 0; i < requests.Count; i++)
            if (i != 3) Assert.Equal(alone[i], together[i]);
        Assert.True(spec.SpeculationCounts.Accepted > 0);
        for (int t = 0; t < 200 && spec.KvBlocks.Used > 0; t++) await Task.Delay(10);
        Assert.Equal(0, spec.KvBlocks.Used);
    }

    /// <summary>A run of accepted drafts never passes max_tokens, and usage counts the tokens delivered, also when a stop
    /// string ends the request inside a run.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public async Task Limits_MaxTokensAndUsageExact(int maxTokens)
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var spec = EngineFixture.Start(model, tokenizer, speculation: Ngram);
        var prompt = Prompts()[1];
        var events = await EngineFixture.Collect(spec, new GenerationRequest { PromptTokens = prompt, MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy });
        Assert.True(events.Count <= maxTokens);
        Assert.Equal(events.Count, events[^1].Usage!.CompletionTokens);
        Assert.True(events[^1].Usage!.Speculative);
    }

    [Fact]
    public async Task StopStringInsideARun_UsageCountsDeliveredTokens()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var plain = EngineFixture.Start(model, tokenizer);
        await using var spec = EngineFixture.Start(model, tokenizer, speculation: Ngram);
        var prompt = Prompts()[1];
        var free = await EngineFixture.Collect(plain, new GenerationRequest { PromptTokens = prompt, MaxTokens = 40, Sampling = SamplingOptions.Greedy });
        string text = string.Concat(free.Select(e => e.Text));
        string stop = text.Substring(text.Length / 2, 4); // somewhere in the middle of the answer
        var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = 40, Sampling = SamplingOptions.Greedy, StopStrings = [stop] };
        var expected = await EngineFixture.Collect(plain, request);
        var events = await EngineFixture.Collect(spec, request);
        Assert.Equal(expected.Select(e => e.Text), events.Select(e => e.Text));
        Assert.Equal(expected[^1].Usage!.CompletionTokens, events[^1].Usage!.CompletionTokens);
        Assert.Equal(FinishReason.Stop, events[^1].FinishReason);
    }

    /// <summary>A request can switch speculation off on a speculating engine, or ask for n-gram drafts on one that is not;
    /// a prediction of the exact answer is accepted whole (Predicted Outputs).</summary>
    [Fact]
    public async Task PerRequest_OffOnAndPrediction()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var plain = EngineFixture.Start(model, tokenizer, speculation: SpeculationOptions.Off with { MeasuredCost = false });
        var prompt = Prompts()[0];
        var answer = await Tokens(plain, new GenerationRequest { PromptTokens = prompt, MaxTokens = 40, Sampling = SamplingOptions.Greedy });
        var predicted = (await EngineFixture.Collect(plain, new GenerationRequest
        {
            PromptTokens = prompt, MaxTokens = 40, Sampling = SamplingOptions.Greedy, Speculation = SpeculationMethod.Ngram, PredictionTokens = answer,
        }));
        Assert.Equal(answer, predicted.Select(e => e.Token));
        var usage = predicted[^1].Usage!;
        Assert.True(usage.Speculative);
        Assert.True(usage.AcceptedPredictionTokens >= 30, $"{usage.AcceptedPredictionTokens} of a perfect prediction accepted");

        await using var spec = EngineFixture.Start(model, tokenizer, speculation: Ngram);
        var off = await EngineFixture.Collect(spec, new GenerationRequest { PromptTokens = Prompts()[1], MaxTokens = 30, Sampling = SamplingOptions.Greedy, Speculation = SpeculationMethod.None });
        Assert.False(off[^1].Usage!.Speculative);
        Assert.Equal((0L, 0L), spec.SpeculationCounts);
    }

    /// <summary>The distribution at a position whose logits came from a verified draft: over 3,000 seeds at temperature 1,
    /// the third token after "Once upon a time", given the first two equal the greedy answer's (so the second one was an
    /// accepted draft and the third is drawn from the row computed on top of it), follows the target's own distribution
    /// there (chi-square over its 10 likeliest tokens and the rest, against log-softmax from an engine without speculation).</summary>
    [Fact]
    public async Task Sampled_TokenAfterAcceptedDraft_TargetDistribution()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        await using var plain = EngineFixture.Start(model, tokenizer);
        int[] prompt = [.. tokenizer.Encode("Once upon a time")];
        var greedy = await Tokens(plain, new GenerationRequest { PromptTokens = prompt, MaxTokens = 8, Sampling = SamplingOptions.Greedy });
        int[] prediction = [.. prompt[^2..], .. greedy]; // the prompt's tail first, so the first decode step finds a draft
        var expected = (await EngineFixture.Collect(plain, new GenerationRequest
        {
            PromptTokens = [.. prompt, greedy[0], greedy[1]], MaxTokens = 1, TopLogprobs = 10, Sampling = SamplingOptions.Greedy,
        }))[0].Logprobs!.Top;

        await using var spec = EngineFixture.Start(model, tokenizer, maxSequences: 16, speculation: Ngram);
        var counts = new Dictionary<int, int>();
        int conditioned = 0;
        var hot = new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0 };
        var runs = await Task.WhenAll(Enumerable.Range(0, 3000).Select(seed => Tokens(spec, new GenerationRequest
        {
            PromptTokens = prompt, MaxTokens = 3, Sampling = hot with { Seed = (ulong)seed }, PredictionTokens = prediction, IgnoreEndOfGeneration = true,
        })));
        foreach (var run in runs)
        {
            if (run.Length < 3 || run[0] != greedy[0] || run[1] != greedy[1]) continue;
            conditioned++;
            counts[run[2]] = counts.GetValueOrDefault(run[2]) + 1;
        }
        Assert.True(conditioned > 500, $"only {conditioned} runs began with the greedy tokens");
        Assert.True(spec.SpeculationCounts.Accepted > 500, "the second token should mostly be an accepted draft");
        double chi = 0, rest = 1;
        int restCount = conditioned;
        foreach (var (token, logprob) in expected)
        {
            double p = Math.Exp(logprob), e = p * conditioned;
            int o = counts.GetValueOrDefault(token);
            chi += (o - e) * (o - e) / e;
            rest -= p;
            restCount -= o;
        }
        if (rest * conditioned >= 5) chi += (restCount - rest * conditioned) * (restCount - rest * conditioned) / (rest * conditioned);
        // 10 degrees of freedom: P(χ² > 35) ≈ 1e-4 under the hypothesis.
        Assert.True(chi < 35, $"chi-square {chi:F1} over {conditioned} draws: the sampled tokens do not follow the target's distribution");
    }

    /// <summary>A draft whose vocabulary is not the target's is refused at start, naming the file and the fix.</summary>
    [Fact]
    public void DraftWithAnotherVocabulary_RefusedAtStart()
    {
        var (model, tokenizer) = EngineFixture.Load();
        using var _ = model;
        string other = Fixtures.Path("models/synth-llama-2L-128-Q8_0.gguf");
        var e = Assert.Throws<ArgumentException>(() => EngineFixture.Start(model, tokenizer, speculation: Ngram with { Method = SpeculationMethod.Draft, Draft = other }));
        Assert.Contains("synth-llama-2L-128-Q8_0.gguf", e.Message);
        Assert.Contains("tokenizer", e.Message);
    }
}
