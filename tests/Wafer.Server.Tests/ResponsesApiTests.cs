#pragma warning disable OPENAI001 // the SDK marks the Responses client experimental
using System.ClientModel;
using OpenAI;
using OpenAI.Responses;

namespace Wafer.Server.Tests;

/// <summary><c>POST /v1/responses</c> through the official OpenAI .NET SDK's Responses client against a real <c>wafer serve</c>.</summary>
public class ResponsesApiTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private ResponsesClient Client() => new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(shared.Server.Url, "v1") })
        .GetResponsesClient();

    private static CreateResponseOptions Options(params ResponseItem[] items)
    {
        var options = new CreateResponseOptions("stories260K", items) { MaxOutputTokenCount = 16 };
        options.Temperature = 0;
        return options;
    }

    [Fact]
    public async Task CreateResponse_Text_OutputTextAndUsage()
    {
        ResponseResult response = await Client().CreateResponseAsync(Options(ResponseItem.CreateSystemMessageItem("Tell a story."), ResponseItem.CreateUserMessageItem("Once upon a time")));
        Assert.False(string.IsNullOrEmpty(response.GetOutputText()));
        Assert.Equal(ResponseStatus.Incomplete, response.Status); // 16 tokens: cut by max_output_tokens
        Assert.Equal(16, response.Usage.OutputTokenCount);
        Assert.StartsWith("resp_", response.Id);
    }

    [Fact]
    public async Task CreateResponseStreaming_DeltasConcatenateToTheCompletedText()
    {
        var options = Options(ResponseItem.CreateUserMessageItem("Once upon a time"));
        string whole = (await Client().CreateResponseAsync(options)).Value.GetOutputText();
        var text = new System.Text.StringBuilder();
        ResponseResult? last = null;
        var kinds = new List<string>();
        var streamed = Options(ResponseItem.CreateUserMessageItem("Once upon a time"));
        streamed.StreamingEnabled = true;
        await foreach (var update in await Client().CreateResponseStreamingAsync(streamed))
        {
            kinds.Add(update.GetType().Name);
            if (update is StreamingResponseOutputTextDeltaUpdate delta) text.Append(delta.Delta);
            if (update is StreamingResponseIncompleteUpdate incomplete) last = incomplete.Response;
            if (update is StreamingResponseCompletedUpdate completed) last = completed.Response;
        }
        Assert.Equal(whole, text.ToString());
        Assert.NotNull(last);
        Assert.Equal(whole, last.GetOutputText());
        Assert.Equal("StreamingResponseCreatedUpdate", kinds[0]);
    }

    [Fact]
    public async Task CreateResponse_JsonSchemaFormat_OutputMatches()
    {
        var options = Options(ResponseItem.CreateUserMessageItem("Lily had a dog."));
        options.MaxOutputTokenCount = 300;
        options.TextOptions = new ResponseTextOptions
        {
            TextFormat = ResponseTextFormat.CreateJsonSchemaFormat("pet", BinaryData.FromString("""
                {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}, "dog": {"type": "boolean"}}, "required": ["name", "dog"], "additionalProperties": false}
                """), jsonSchemaIsStrict: true),
        };
        ResponseResult response = await Client().CreateResponseAsync(options);
        using var doc = System.Text.Json.JsonDocument.Parse(response.GetOutputText());
        Assert.True(doc.RootElement.GetProperty("dog").ValueKind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False);
    }

    /// <summary>A streamed function call: its item is added with the name, its arguments arrive in fragments, and the
    /// completed response holds the call with the arguments the fragments add up to.</summary>
    [Fact]
    public async Task CreateResponseStreaming_NamedFunction_ArgumentsInFragments()
    {
        var options = Options(ResponseItem.CreateUserMessageItem("What is the weather in Oslo?"));
        options.MaxOutputTokenCount = 200;
        options.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""
            {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}}, "required": ["city"], "additionalProperties": false}
            """), strictModeEnabled: true));
        options.ToolChoice = ResponseToolChoice.CreateFunctionChoice("get_weather");
        options.ParallelToolCallsEnabled = false;
        options.StreamingEnabled = true;
        var fragments = new System.Text.StringBuilder();
        int deltas = 0;
        string? addedName = null;
        ResponseResult? completed = null;
        await foreach (var update in await Client().CreateResponseStreamingAsync(options))
        {
            if (update is StreamingResponseOutputItemAddedUpdate { Item: FunctionCallResponseItem added }) addedName = added.FunctionName;
            if (update is StreamingResponseFunctionCallArgumentsDeltaUpdate delta)
            {
                Assert.Equal("get_weather", addedName); // the item (with its name) comes before its arguments
                fragments.Append(delta.Delta.ToString());
                deltas++;
            }
            if (update is StreamingResponseCompletedUpdate done) completed = done.Response;
        }
        Assert.True(deltas >= 3, $"{deltas} argument fragment(s)");
        var call = Assert.Single(completed!.OutputItems.OfType<FunctionCallResponseItem>());
        Assert.Equal(fragments.ToString(), call.FunctionArguments.ToString());
    }

    [Fact]
    public async Task CreateResponse_NamedFunction_CallThenRoundTrip()
    {
        var tool = ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""
            {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}}, "required": ["city"], "additionalProperties": false}
            """), strictModeEnabled: true, functionDescription: "The weather in a city");
        var options = Options(ResponseItem.CreateUserMessageItem("What is the weather in Oslo?"));
        options.MaxOutputTokenCount = 200;
        options.Tools.Add(tool);
        options.ToolChoice = ResponseToolChoice.CreateFunctionChoice("get_weather");
        options.ParallelToolCallsEnabled = false;
        ResponseResult response = await Client().CreateResponseAsync(options);
        var call = Assert.Single(response.OutputItems.OfType<FunctionCallResponseItem>());
        Assert.Equal("get_weather", call.FunctionName);
        using (var args = System.Text.Json.JsonDocument.Parse(call.FunctionArguments))
            Assert.Equal(System.Text.Json.JsonValueKind.String, args.RootElement.GetProperty("city").ValueKind);

        var next = Options(ResponseItem.CreateUserMessageItem("What is the weather in Oslo?"),
            ResponseItem.CreateFunctionCallItem(call.CallId, call.FunctionName, call.FunctionArguments),
            ResponseItem.CreateFunctionCallOutputItem(call.CallId, "sunny"));
        next.Tools.Add(tool);
        ResponseResult answer = await Client().CreateResponseAsync(next);
        Assert.False(string.IsNullOrEmpty(answer.GetOutputText()));
    }

    [Fact]
    public async Task CreateResponse_PreviousResponseId_400Explains()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CreateResponseAsync("stories260K", "hi", previousResponseId: "resp_1"));
        Assert.Equal(400, e.Status);
        Assert.Contains("previous_response_id", e.Message);
    }

    /// <summary>Errors from the shared chat parser name the field as the Responses request spelled it.</summary>
    [Theory]
    [InlineData("""{"model": "stories260K", "input": "hi", "tools": [{"type": "function", "name": "f", "parameters": 5}]}""", "tools[0].parameters")]
    [InlineData("""{"model": "stories260K", "input": "hi", "text": {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object", "patternProperties": {"a": {}}}}}}""", "text.format")]
    public async Task BadRequest_NamesTheResponsesField(string body, string field)
    {
        using var http = new HttpClient { BaseAddress = shared.Server.Url };
        var response = await http.PostAsync("/v1/responses", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)response.StatusCode);
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        var error = doc.RootElement.GetProperty("error");
        Assert.StartsWith(field, error.GetProperty("param").GetString());
        Assert.DoesNotContain("function.parameters", error.GetProperty("message").GetString());
        Assert.DoesNotContain("response_format", text);
    }
}
