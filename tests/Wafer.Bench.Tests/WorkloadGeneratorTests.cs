using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class WorkloadGeneratorTests
{
    [Theory]
    [InlineData("chat")]
    [InlineData("long-prompt")]
    [InlineData("shared-prefix")]
    [InlineData("mixed")]
    public void Generate_SameSeed_SameRequests(string kind)
    {
        var options = new WorkloadOptions { Kind = WorkloadKinds.Parse(kind) };
        Assert.Equal(WorkloadGenerator.Generate(options, 50, 9), WorkloadGenerator.Generate(options, 50, 9));
        Assert.NotEqual(WorkloadGenerator.Generate(options, 50, 9)[0].Prompt, WorkloadGenerator.Generate(options, 50, 10)[0].Prompt);
    }

    [Fact]
    public void Generate_Chat_PromptWordsWithinRange()
    {
        var requests = WorkloadGenerator.Generate(new WorkloadOptions { PromptTokens = new TokenRange(200, 50), OutputTokens = 64 }, 500, 1);

        Assert.All(requests, r =>
        {
            Assert.InRange(r.Prompt.Split(' ').Length, 150, 250);
            Assert.Equal(r.Prompt.Split(' ').Length, r.PromptWordCount);
            Assert.Equal(64, r.MaxTokens);
            Assert.Null(r.SystemPrompt);
            Assert.False(r.IsLong);
        });
        Assert.InRange(requests.Average(r => r.PromptWordCount), 195, 205);
        Assert.Equal(requests.Count, requests.Select(r => r.Prompt).Distinct().Count());
    }

    [Fact]
    public void Generate_SharedPrefix_GroupsShareOneSystemPrompt()
    {
        var options = new WorkloadOptions { Kind = WorkloadKind.SharedPrefix, PrefixGroupCount = 3, PrefixTokens = 100, PromptTokens = new TokenRange(20, 0) };

        var requests = WorkloadGenerator.Generate(options, 60, 2);

        var groups = requests.GroupBy(r => r.GroupIndex).ToList();
        Assert.Equal([0, 1, 2], groups.Select(g => g.Key).Order());
        Assert.All(groups, g => Assert.Single(g.Select(r => r.SystemPrompt).Distinct()));
        Assert.Equal(3, requests.Select(r => r.SystemPrompt).Distinct().Count());
        Assert.All(requests, r => Assert.Equal(100, r.SystemPrompt!.Split(' ').Length));
        Assert.All(requests, r => Assert.Equal(120, r.PromptWordCount));
    }

    [Fact]
    public void Generate_Mixed_LongFractionOfPromptsAreLong()
    {
        var options = new WorkloadOptions { Kind = WorkloadKind.Mixed, LongFraction = 0.1, LongPromptTokens = new TokenRange(1000, 0), PromptTokens = new TokenRange(50, 0) };

        var requests = WorkloadGenerator.Generate(options, 2000, 3);

        Assert.InRange(requests.Count(r => r.IsLong), 160, 240);
        Assert.All(requests, r => Assert.Equal(r.IsLong ? 1000 : 50, r.PromptWordCount));
    }

    [Fact]
    public void Generate_LongPrompt_EveryPromptIsLong()
    {
        var requests = WorkloadGenerator.Generate(new WorkloadOptions { Kind = WorkloadKind.LongPrompt }, 20, 4);
        Assert.All(requests, r => Assert.True(r.IsLong && r.PromptWordCount >= 1800));
    }

    [Theory]
    [InlineData("200±50", 200, 50)]
    [InlineData("200+-50", 200, 50)]
    [InlineData(" 128 ", 128, 0)]
    public void TokenRangeParse_ValidText_MeanAndSpread(string text, int mean, int spread) =>
        Assert.Equal(new TokenRange(mean, spread), TokenRange.Parse(text));

    [Theory]
    [InlineData("abc")]
    [InlineData("200±")]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("50±50")]
    public void TokenRangeParse_BadText_ThrowsNamingTheInput(string text)
    {
        var e = Assert.ThrowsAny<Exception>(() => TokenRange.Parse(text));
        Assert.True(e is FormatException or ArgumentException);
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }
}
