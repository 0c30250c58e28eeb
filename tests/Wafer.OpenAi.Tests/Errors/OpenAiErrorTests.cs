using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.OpenAi.Errors;

namespace Wafer.OpenAi.Tests.Errors;

public class OpenAiErrorTests
{
    [Fact]
    public void ToUtf8Json_AllFields_OpenAiShape() =>
        Assert.Equal("{\"error\":{\"message\":\"max_tokens must be ≥ 1\",\"type\":\"invalid_request_error\",\"param\":\"max_tokens\",\"code\":\"bad\"}}",
            Encoding.UTF8.GetString(new OpenAiError("max_tokens must be ≥ 1", "invalid_request_error", "max_tokens", "bad").ToUtf8Json()));

    [Fact]
    public void ToUtf8Json_NoParamNoCode_NullsWritten() =>
        Assert.Equal("{\"error\":{\"message\":\"m\",\"type\":\"t\",\"param\":null,\"code\":null}}",
            Encoding.UTF8.GetString(new OpenAiError("m", "t").ToUtf8Json()));

    [Theory]
    [InlineData(null, null)]
    [InlineData("messages", null)]
    [InlineData(null, "invalid_api_key")]
    [InlineData("model", "model_not_found")]
    public void TryParse_WrittenError_RoundTrips(string? param, string? code)
    {
        var error = new OpenAiError("a \"quoted\" message\nover two lines", "invalid_request_error", param, code);

        Assert.Equal(error, OpenAiError.TryParse(error.ToUtf8Json()));
    }

    [Fact]
    public void TryParse_StringError_MessageOnly() =>
        Assert.Equal(new OpenAiError("boom", ""), OpenAiError.TryParse("{\"error\":\"boom\"}"u8));

    [Fact]
    public void TryParse_FlatVllmError_Read() =>
        Assert.Equal(new OpenAiError("too long", "BadRequestError", null, "400"),
            OpenAiError.TryParse("{\"object\":\"error\",\"message\":\"too long\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}"u8));

    [Theory]
    [InlineData("{\"choices\":[]}")]
    [InlineData("[1,2]")]
    [InlineData("not json")]
    [InlineData("{\"error\":null}")]
    public void TryParse_NoError_Null(string json) => Assert.Null(OpenAiError.TryParse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public async Task WriteAsync_WithRetryAfter_StatusHeaderAndBody()
    {
        var http = new DefaultHttpContext();
        var body = new MemoryStream();
        http.Response.Body = body;

        await OpenAiErrorResponse.WriteAsync(http.Response, 429, new OpenAiError("queue full", "server_error", null, "overloaded"), 3, TestContext.Current.CancellationToken);

        Assert.Equal(429, http.Response.StatusCode);
        Assert.Equal("3", http.Response.Headers.RetryAfter.ToString());
        Assert.Equal("application/json", http.Response.ContentType);
        using var doc = JsonDocument.Parse(body.ToArray());
        Assert.Equal("overloaded", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
