using System.Globalization;
using System.Text;
using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Cascade;

[Collection(Wafer.Router.Tests.Support.InProcessRouterCollection.Name)]
public sealed class CascadeTests : IAsyncLifetime
{
    private FakeBackend _small = null!;
    private FakeBackend _large = null!;
    private InProcessRouter _router = null!;

    // Fake usage: 10 prompt tokens, 4 completion tokens.
    private const double SmallCost = 10 / 1000.0 * 0.1 + 4 / 1000.0 * 0.2;
    private const double LargeCost = 10 / 1000.0 * 1.0 + 2 / 1000.0 * 2.0; // its answer has two tokens

    public async ValueTask InitializeAsync()
    {
        _small = await FakeBackend.StartAsync();
        _large = await FakeBackend.StartAsync();
        _large.Tokens = ["{\"a\":", " 1}"];
        _large.Logprob = -0.05;
        _router = await InProcessRouter.StartAsync(Configs.Router(
            [
                Configs.Backend("small", _small.Url, extra: "\"tier\": 0, \"costPer1kInput\": 0.1, \"costPer1kOutput\": 0.2"),
                Configs.Backend("large", _large.Url, extra: "\"tier\": 1, \"costPer1kInput\": 1.0, \"costPer1kOutput\": 2.0"),
            ],
            [Configs.Route("m", ["large", "small"], "cascade", "\"cascade\": {\"minMeanLogprob\": -1.0, \"streamDecisionTokens\": 2}")]));
    }

    public async ValueTask DisposeAsync()
    {
        await _router.DisposeAsync();
        await _small.DisposeAsync();
        await _large.DisposeAsync();
    }

    private async Task<(string Tier, double Cost, string Body)> AskAsync(bool stream, string? extra = null)
    {
        string body = LoadClient.ChatBody("m", "hi", stream);
        if (extra != null) body = body.TrimEnd('}') + "," + extra + "}";
        using var response = await _router.Http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode);
        return (response.Headers.GetValues("x-wafer-tier").Single(), double.Parse(response.Headers.GetValues("x-wafer-cost").Single(), CultureInfo.InvariantCulture),
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Cascade_ConfidentSmallTier_AnsweredThereAtItsCost()
    {
        _small.Logprob = -0.2;
        var (tier, cost, body) = await AskAsync(stream: false);
        Assert.Equal("0", tier);
        Assert.Equal(SmallCost, cost, 8);
        Assert.Contains("Once upon a time", body);
        Assert.Equal(0, _large.Requests);
    }

    [Fact]
    public async Task Cascade_LowLogprobSmallTier_EscalatedAndCostsAddUp()
    {
        _small.Logprob = -3.0;
        var (tier, cost, body) = await AskAsync(stream: false);
        Assert.Equal("1", tier);
        Assert.Equal(SmallCost + LargeCost, cost, 8);
        using (var doc = System.Text.Json.JsonDocument.Parse(body))
            Assert.Equal("{\"a\": 1}", doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(1, _small.Requests);
        Assert.Equal(1, _large.Requests);
        Assert.Equal(1, await _router.MetricAsync("wafer_router_cascade_escalations"));
        Assert.Equal(SmallCost + LargeCost, await _router.MetricAsync("wafer_router_cost"), 8);
    }

    [Fact]
    public async Task Cascade_JsonAskedAndSmallTierNotJson_Escalated()
    {
        _small.Logprob = -0.1;
        var (tier, _, _) = await AskAsync(stream: false, "\"response_format\":{\"type\":\"json_object\"}");
        Assert.Equal("1", tier);
    }

    [Fact]
    public async Task Cascade_TruncatedSmallAnswer_Escalated()
    {
        _small.Logprob = -0.1;
        _small.FinishReason = "length";
        var (tier, _, _) = await AskAsync(stream: false);
        Assert.Equal("1", tier);
    }

    [Fact]
    public async Task Cascade_StreamingLowLogprob_DecidedOnFirstTokensThenStreamedFromLargeTier()
    {
        _small.Logprob = -3.0;
        var (tier, _, body) = await AskAsync(stream: true);
        Assert.Equal("1", tier);
        Assert.Contains("\" 1}\"", body);
        Assert.DoesNotContain("upon", body);
        Assert.EndsWith("data: [DONE]\n\n", body);
        _small.Logprob = -0.1;
        var confident = await AskAsync(stream: true);
        Assert.Equal("0", confident.Tier);
        Assert.Contains("\" upon\"", confident.Body);
    }
}
