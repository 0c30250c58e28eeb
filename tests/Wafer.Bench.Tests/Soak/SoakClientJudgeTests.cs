using Wafer.Bench.Soak;

namespace Wafer.Bench.Tests.Soak;

/// <summary>How a complete answer is judged: a malformed request must get a 4xx with an error message; a good one a 2xx with
/// choices and usage, or an explicit overload answer.</summary>
public sealed class SoakClientJudgeTests
{
    private const string Error = """{"error":{"message":"'max_tokens' must be positive","type":"invalid_request_error"}}""";
    private const string Answer = """{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}""";

    [Theory]
    [InlineData(nameof(SoakRequestKind.Bad), 400, Error, "rejected")]
    [InlineData(nameof(SoakRequestKind.Bad), 404, Error, "rejected")]
    [InlineData(nameof(SoakRequestKind.Bad), 400, "bad", "rejected_without_message")]
    [InlineData(nameof(SoakRequestKind.Bad), 200, Answer, "bad_request_accepted")]
    [InlineData(nameof(SoakRequestKind.Bad), 500, Error, "status_500")]
    [InlineData(nameof(SoakRequestKind.Bad), 429, Error, "status_429")]
    [InlineData(nameof(SoakRequestKind.Chat), 200, Answer, "ok")]
    [InlineData(nameof(SoakRequestKind.Chat), 200, """{"choices":[]}""", "invalid_response")]
    [InlineData(nameof(SoakRequestKind.Completion), 200, "not json", "invalid_response")]
    [InlineData(nameof(SoakRequestKind.Chat), 429, Error, "overloaded")]
    [InlineData(nameof(SoakRequestKind.Chat), 503, Error, "overloaded")]
    [InlineData(nameof(SoakRequestKind.Chat), 503, "<html>", "status_503")]
    [InlineData(nameof(SoakRequestKind.Chat), 500, Error, "status_500")]
    [InlineData(nameof(SoakRequestKind.Completion), 400, Error, "status_400")]
    public void Judge_Answer_Result(string kind, int status, string body, string expected) =>
        Assert.Equal(expected, SoakClient.Judge(Enum.Parse<SoakRequestKind>(kind), status, body).Result);
}
