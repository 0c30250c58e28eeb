using Wafer.OpenAi.Streaming;

namespace Wafer.OpenAi.Tests.Streaming;

public class StreamChunkTests
{
    [Theory]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":"Hi"}}]}""", true)]
    [InlineData("""{"choices":[{"index":0,"delta":{"reasoning_content":"hmm"}}]}""", true)]
    [InlineData("""{"choices":[{"index":0,"text":" the"}]}""", true)]
    [InlineData("""{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""", false)]
    [InlineData("""{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}""", false)]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":null}}]}""", false)]
    public void Parse_ContentOrNot_HasContent(string json, bool hasContent)
    {
        var chunk = StreamChunk.Parse(json);
        Assert.Equal(hasContent, chunk.HasContent);
        Assert.Null(chunk.Error);
    }

    [Fact]
    public void Parse_UsageChunk_TokenCounts() =>
        Assert.Equal(new StreamChunk(false, 12, 34, null), StreamChunk.Parse("""{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}"""));

    [Fact]
    public void Parse_NullUsage_NoCounts() =>
        Assert.Equal(new StreamChunk(true, null, null, null), StreamChunk.Parse("""{"choices":[{"text":"a"}],"usage":null}"""));

    [Theory]
    [InlineData("""{"choices":[{"delta":{"content":"hi"}}]}""", "hi")]
    [InlineData("""{"choices":[{"delta":{"reasoning_content":"think"}}]}""", null)] // the answer's text, not its reasoning
    [InlineData("""{"choices":[{"text":"x"}]}""", "x")]
    [InlineData("""{"choices":[]}""", null)]
    public void Parse_Text_TheAnswersText(string json, string? text)
    {
        Assert.Equal(text, StreamChunk.Parse(json, withText: true).Text);
        Assert.Null(StreamChunk.Parse(json).Text);
    }

    [Fact]
    public void Parse_ErrorObject_Message() =>
        Assert.Equal("overloaded", StreamChunk.Parse("""{"error":{"message":"overloaded","code":503}}""").Error);

    [Fact]
    public void Parse_NotJson_ErrorNotException() => Assert.StartsWith("stream chunk is not JSON", StreamChunk.Parse("{oops").Error, StringComparison.Ordinal);
}
