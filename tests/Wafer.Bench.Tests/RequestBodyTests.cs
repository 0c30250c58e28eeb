using System.Text.Json;
using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class RequestBodyTests
{
    private static readonly BenchRequest Shared = new(0, "You are terse.", "say hi", 5, 32, 1, false);

    [Fact]
    public void Create_ChatWithSystemPrompt_MessagesStreamUsage()
    {
        using var body = JsonDocument.Parse(RequestBody.Create(Shared, "m", EndpointKind.Chat, ignoreEos: false));
        var root = body.RootElement;

        Assert.Equal("m", root.GetProperty("model").GetString());
        var messages = root.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal([("system", "You are terse."), ("user", "say hi")], messages);
        Assert.Equal(32, root.GetProperty("max_tokens").GetInt32());
        Assert.True(root.GetProperty("stream").GetBoolean());
        Assert.True(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.False(root.TryGetProperty("ignore_eos", out _));
    }

    [Fact]
    public void Create_CompletionsIgnoreEos_PromptJoinsSystemAndUser()
    {
        using var body = JsonDocument.Parse(RequestBody.Create(Shared, "m", EndpointKind.Completions, ignoreEos: true));
        var root = body.RootElement;

        Assert.Equal("You are terse.\n\nsay hi", root.GetProperty("prompt").GetString());
        Assert.False(root.TryGetProperty("messages", out _));
        Assert.True(root.GetProperty("ignore_eos").GetBoolean());
    }
}

/// <summary>The --greedy and --predicted modes: bodies carry temperature 0 and OpenAI's prediction; the first pass collects
/// each answer's text and gives it to its request.</summary>
public class PredictedWorkloadTests
{
    [Fact]
    public void Create_GreedyWithPrediction_TemperatureZeroAndPrediction()
    {
        var request = new BenchRequest(0, null, "say hi", 2, 8, -1, false) { Greedy = true, Prediction = "hi there" };
        using var body = JsonDocument.Parse(RequestBody.Create(request, "m", EndpointKind.Chat, ignoreEos: false));
        Assert.Equal(0, body.RootElement.GetProperty("temperature").GetDouble());
        var prediction = body.RootElement.GetProperty("prediction");
        Assert.Equal(("content", "hi there"), (prediction.GetProperty("type").GetString(), prediction.GetProperty("content").GetString()));
    }

    private sealed class EchoSender : IRequestSender
    {
        public List<BenchRequest> Sent { get; } = [];

        public Task<RequestRecord> SendAsync(BenchRequest request, long levelStartTimestamp, CancellationToken cancellationToken)
        {
            lock (Sent) Sent.Add(request);
            return Task.FromResult(new RequestRecord
            {
                Index = request.Index, StartMs = 0, StatusCode = 200, TtftMs = 1, E2eMs = 2, OutputTokens = 2, PromptTokens = 2,
                Text = request.CaptureText ? $"answer {request.Index}" : null,
            });
        }
    }

    [Fact]
    public async Task CollectPredictions_EachRequestGetsItsOwnAnswer()
    {
        var options = BenchTestKit.Options("http://127.0.0.1:1", LoadLevel.ClosedLoop(2), requestCount: 5) with { Predicted = true };
        var sender = new EchoSender();
        var runner = new BenchServeRunner(options, sender, TimeProvider.System);
        Assert.Empty(await runner.CollectPredictionsAsync(CancellationToken.None));
        Assert.All(sender.Sent, r => Assert.True(r.Greedy && r.CaptureText && r.Prediction == null));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"answer {i}"), runner.Requests.Select(r => r.Prediction));
        Assert.All(runner.Requests, r => Assert.True(r.Greedy && !r.CaptureText));
    }
}
