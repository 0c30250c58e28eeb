using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wafer.Engine.Requests;
using Wafer.Engine.Tests.Support;
using Wafer.Models.Constraints;
using Wafer.Models.Sampling;

namespace Wafer.Engine.Tests.Execution;

/// <summary>Grammar-constrained generation through the engine on a random-weight model: whatever the weights, the text
/// follows the grammar, the request ends when the sentence is complete, and unconstrained neighbours are untouched.</summary>
public class ConstrainedDecodingTests
{
    private static async Task<(string Text, FinishReason? Reason, int Tokens)> Generate(InferenceEngine engine, GenerationRequest request)
    {
        var text = new StringBuilder();
        TokenEvent last = default;
        int count = 0;
        await foreach (var e in engine.Submit(request))
        {
            text.Append(e.Text);
            last = e;
            count++;
        }
        return (text.ToString(), last.FinishReason, count);
    }

    private static SamplingOptions Hot(int seed) => new() { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = (ulong)seed };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Gbnf_TextFollowsTheGrammarAndEndsWithIt(int seed)
    {
        await using var tiny = new TinyEngine();
        var grammar = Grammar.Parse("""root ::= ("t1" | "t2"){1,6} "t3" """);
        var (text, reason, _) = await Generate(tiny.Engine, new GenerationRequest
        {
            PromptTokens = [1, 5, 6], MaxTokens = 30, Sampling = Hot(seed), Grammar = grammar, IgnoreEndOfGeneration = true,
        });
        Assert.Matches(new Regex("^(t1|t2){1,6}t3$"), text);
        Assert.Equal(FinishReason.Stop, reason);
    }

    /// <summary>A random model may wander in whitespace until max_tokens; what it wrote is then still a prefix of a valid
    /// answer. Every answer that finished is valid JSON of the schema, and most seeds finish.</summary>
    [Fact]
    public async Task JsonSchema_ByteFallbackModel_ValidJsonOfTheSchema()
    {
        await using var tiny = new TinyEngine(byteFallback: true);
        var schema = JsonDocument.Parse("""
            {"type": "object", "properties": {"ok": {"type": "boolean"}, "c": {"enum": ["red", "blue"]}, "n": {"type": "integer"}},
             "required": ["ok", "c"], "additionalProperties": false}
            """).RootElement;
        var grammar = JsonSchemaGrammar.Compile(schema);
        int finished = 0;
        for (int seed = 1; seed <= 8; seed++)
        {
            var (text, reason, _) = await Generate(tiny.Engine, new GenerationRequest
            {
                PromptTokens = [1, 5, 6], MaxTokens = 60, Sampling = Hot(seed), Grammar = grammar,
            });
            if (reason == FinishReason.Length)
            {
                Assert.True(grammar.IsPrefix(text), $"seed {seed}: '{text}' is not a prefix of the schema's JSON");
                continue;
            }
            Assert.Equal(FinishReason.Stop, reason);
            finished++;
            using var doc = JsonDocument.Parse(text);
            Assert.True(doc.RootElement.GetProperty("ok").ValueKind is JsonValueKind.True or JsonValueKind.False);
            Assert.Contains(doc.RootElement.GetProperty("c").GetString(), new[] { "red", "blue" });
            if (doc.RootElement.TryGetProperty("n", out var n)) Assert.Equal(JsonValueKind.Number, n.ValueKind);
            Assert.InRange(doc.RootElement.EnumerateObject().Count(), 2, 3);
        }
        Assert.True(finished >= 4, $"only {finished} of 8 seeds finished their JSON within 60 tokens");
    }

    [Fact]
    public async Task Unconstrained_SameBatch_SameTokensAsAlone()
    {
        await using var tiny = new TinyEngine();
        var free = new GenerationRequest { PromptTokens = [1, 7, 8], MaxTokens = 12, Sampling = Hot(9), IgnoreEndOfGeneration = true };
        var alone = await Generate(tiny.Engine, free);
        var constrained = Generate(tiny.Engine, new GenerationRequest
        {
            PromptTokens = [1, 5, 6], MaxTokens = 12, Sampling = Hot(4), Grammar = Grammar.Parse("""root ::= "t4"+ """), IgnoreEndOfGeneration = true,
        });
        var together = await Generate(tiny.Engine, free);
        var c = await constrained;
        Assert.Equal(alone.Text, together.Text);
        Assert.Matches(new Regex("^(t4)+$"), c.Text);
        Assert.True(c.Reason == FinishReason.Length || c.Tokens < 12); // end-of-generation is allowed after any "t4"
    }
}
