using System.Text;
using System.Text.Json;
using Wafer.Engine.Chat;
using Wafer.Models;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;
using Wafer.Server.Api;
using Wafer.Server.Endpoints;
using Wafer.Tests.Fuzz;

namespace Wafer.Server.Tests.Fuzz;

/// <summary>Mutated real request bodies of every generation endpoint go through the server's own parsing (body bytes → JSON →
/// OpenAI/Responses/Anthropic request → prompt tokens) and either parse or fail with a 4xx <see cref="ApiException"/> (or the
/// <see cref="InvalidParameterException"/> the edge maps to 400) with a message — never an exception the edge turns into a 500.</summary>
public sealed class RequestParsingFuzzTests
{
    private static readonly Lazy<(GenerationRequestParser.Model Model, Tokenizer Tokenizer)> LazyModel = new(() =>
    {
        using var file = GgufFile.Open(Repository.DefaultModel);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata, "stories260K-Q8_0.gguf");
        var template = ChatTemplateResolver.FromModel(file.Metadata, "stories260K-Q8_0.gguf");
        return (new GenerationRequestParser.Model("stories260K", tokenizer, new ChatPromptRenderer(template, tokenizer)), tokenizer);
    });

    /// <summary>Bodies as clients send them (the OpenAI, Responses and Anthropic SDKs' shapes, with tools, formats and parts).</summary>
    internal static readonly Dictionary<string, string[]> Seeds = new()
    {
        ["chat"] =
        [
            """{"model":"stories260K","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Once upon a time"}],"max_tokens":8,"temperature":0.7,"top_p":0.9,"stop":["\n"],"seed":1,"stream":false}""",
            """{"messages":[{"role":"user","content":[{"type":"text","text":"Lily had a dog."}]}],"response_format":{"type":"json_schema","json_schema":{"name":"pet","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string","maxLength":12},"friendly":{"type":"boolean"}},"required":["name","friendly"],"additionalProperties":false}}},"max_completion_tokens":16}""",
            """{"messages":[{"role":"user","content":"Weather in Oslo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":"auto","logprobs":true,"top_logprobs":2,"logit_bias":{"5":-100},"n":1,"stream":true,"stream_options":{"include_usage":true}}""",
        ],
        ["completions"] =
        [
            """{"model":"stories260K","prompt":"Once upon a time","max_tokens":8,"temperature":0,"stop":"\n","echo":false,"logprobs":2}""",
            """{"prompt":[1,2,3,4],"max_tokens":4,"top_k":40,"min_p":0.05,"repetition_penalty":1.1,"ignore_eos":true,"grammar":"root ::= \"a\" | \"b\""}""",
        ],
        ["responses"] =
        [
            """{"model":"stories260K","instructions":"Be brief.","input":"Once upon a time","max_output_tokens":8,"temperature":0.5}""",
            """{"input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"ok"}],"tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"text":{"format":{"type":"json_object"}},"stream":true}""",
        ],
        ["messages"] =
        [
            """{"model":"stories260K","max_tokens":8,"system":"Be brief.","messages":[{"role":"user","content":"Once upon a time"}],"stop_sequences":["\n"],"temperature":0.5}""",
            """{"max_tokens":16,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"},"stream":true}""",
        ],
        ["embeddings"] =
        [
            """{"model":"stories260K","input":"Once upon a time","encoding_format":"float"}""",
            """{"input":["a","b",[1,2,3]],"dimensions":8}""",
            """{"input":[[1,2],[3,4]],"encoding_format":"base64"}""",
        ],
    };

    internal static bool IsBadRequest(Exception e) => e is ApiException { Status: >= 400 and < 500 } or InvalidParameterException;

    private static void Execute(string endpoint, byte[] body)
    {
        var (model, tokenizer) = LazyModel.Value;
        using var document = RequestBody.Parse(body);
        var root = document.RootElement;
        switch (endpoint)
        {
            case "chat":
                _ = GenerationRequestParser.ParseChat(root, model);
                break;
            case "completions":
                _ = GenerationRequestParser.ParseCompletion(root, model);
                break;
            case "responses":
                _ = GenerationRequestParser.ParseChat(ResponsesRequest.ToChat(root), model);
                break;
            case "messages":
                _ = GenerationRequestParser.ParseChat(MessagesRequest.ToChat(root), model);
                break;
            default:
                if (root.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
                _ = EmbeddingEndpoints.Inputs(root, tokenizer, 512, tokenizer.VocabularySize);
                break;
        }
    }

    [Theory]
    [InlineData("chat", 1)]
    [InlineData("chat", 2)]
    [InlineData("completions", 1)]
    [InlineData("responses", 1)]
    [InlineData("messages", 1)]
    [InlineData("embeddings", 1)]
    public void Parse_MutatedRealBodies_ParseOr4xxWithMessage(string endpoint, int seed)
    {
        var seeds = Seeds[endpoint];
        var others = Seeds.Values.SelectMany(s => s).Select(Encoding.UTF8.GetBytes).ToList();
        FuzzRunner.Run($"http-{endpoint}", seed, FuzzRunner.Iterations(600), r => JsonMutator.Mutate(seeds[r.Next(seeds.Length)], r, others),
            body => Execute(endpoint, body), IsBadRequest);
    }

    [Theory]
    [InlineData("""{"messages":[],"max_tokens":1,"max_tokens":2}""", "'max_tokens'")]
    [InlineData("""{"messages":[{"role":"user","role":"system","content":"x"}]}""", "'messages[0].role'")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object","type":"text"}}""", "'response_format.type'")]
    [InlineData("""{"a\u0062":1,"ab":2}""", "'ab'")]
    public void Parse_DuplicateKey_400NamesTheKey(string body, string named)
    {
        var e = Assert.Throws<ApiException>(() => RequestBody.Parse(Encoding.UTF8.GetBytes(body)).Dispose());

        Assert.Equal(400, e.Status);
        Assert.Equal("duplicate_key", e.Code);
        Assert.Contains($"has the key {named} twice", e.Message);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"\ud83dmodel":"m"}""")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"k":{"\udc00":1}}""")]
    public void Parse_UnpairedSurrogateInAKey_400InvalidEncodingNotInvalidOperation(string body)
    {
        var e = Assert.Throws<ApiException>(() => RequestBody.Parse(Encoding.UTF8.GetBytes(body)).Dispose());

        Assert.Equal(400, e.Status);
        Assert.Equal("invalid_encoding", e.Code);
        Assert.Contains("a property name", e.Message);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"friendly":{"type":30074}}}""")]
    [InlineData("""{"type":false}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}},"required":"a"}""")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":5}}}""")]
    public void ParseChat_SchemaKeywordOfTheWrongType_400NotInvalidOperation(string schema)
    {
        string body = """{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":SCHEMA}}}""".Replace("SCHEMA", schema, StringComparison.Ordinal);
        using var document = RequestBody.Parse(Encoding.UTF8.GetBytes(body));

        var e = Assert.Throws<ApiException>(() => GenerationRequestParser.ParseChat(document.RootElement, LazyModel.Value.Model));

        Assert.Equal(400, e.Status);
        Assert.Contains("malformed", e.Message);
    }
}
