using System.Text.Json;
using Wafer.Engine.Chat;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Gguf;
using Wafer.Models.Sampling;
using Wafer.Models.Tests.Architectures;
using Wafer.Models.Tokenization;
using Wafer.Server.Api;

namespace Wafer.Server.Tests.Api;

/// <summary>Every 400 the parser gives, and the defaults it fills in. Over a tiny model's tokenizer: no fixtures.</summary>
public class GenerationRequestParserTests
{
    private static readonly Lazy<GenerationRequestParser.Model> LazyModel = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("wafer-parser-").FullName;
        using var file = GgufFile.Open(TinyModel.Write(dir, "llama", byteFallback: true));
        var tokenizer = Tokenizer.FromMetadata(file.Metadata, "tiny.gguf");
        return new GenerationRequestParser.Model("tiny", tokenizer, new ChatPromptRenderer(ChatTemplateResolver.Resolve("chatml"), tokenizer));
    });

    private static GenerationRequestParser.Model Model => LazyModel.Value;

    private const string User = """ "messages": [{"role": "user", "content": "t1"}] """;

    private static ParsedGeneration Chat(string fields) => GenerationRequestParser.ParseChat(Parse($"{{{User}{(fields.Length > 0 ? "," : "")}{fields}}}"), Model);

    private static ParsedGeneration Completion(string fields) => GenerationRequestParser.ParseCompletion(Parse($"{{{fields}}}"), Model);

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static ApiException Rejected(Func<ParsedGeneration> parse)
    {
        var e = Assert.Throws<ApiException>(() => parse());
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        return e;
    }

    [Theory]
    [InlineData(""" "temperature": 2.5 """, "temperature")]
    [InlineData(""" "temperature": "hot" """, "temperature")]
    [InlineData(""" "top_p": 0 """, "top_p")]
    [InlineData(""" "top_p": 1.5 """, "top_p")]
    [InlineData(""" "top_k": -2 """, "top_k")]
    [InlineData(""" "top_k": 1.5 """, "top_k")]
    [InlineData(""" "min_p": 2 """, "min_p")]
    [InlineData(""" "repetition_penalty": 0 """, "repetition_penalty")]
    [InlineData(""" "presence_penalty": 3 """, "presence_penalty")]
    [InlineData(""" "frequency_penalty": -3 """, "frequency_penalty")]
    [InlineData(""" "seed": "x" """, "seed")]
    [InlineData(""" "seed": 1.5 """, "seed")]
    [InlineData(""" "max_tokens": 0 """, "max_tokens")]
    [InlineData(""" "max_tokens": "many" """, "max_tokens")]
    [InlineData(""" "max_completion_tokens": -1 """, "max_completion_tokens")]
    [InlineData(""" "n": 2 """, "n")]
    [InlineData(""" "n": 0 """, "n")]
    [InlineData(""" "stream": "yes" """, "stream")]
    [InlineData(""" "stream_options": {"include_usage": true} """, "stream_options")]
    [InlineData(""" "stream": true, "stream_options": 1 """, "stream_options")]
    [InlineData(""" "stream": true, "stream_options": {"include_usage": 1} """, "stream_options.include_usage")]
    [InlineData(""" "logprobs": 1 """, "logprobs")]
    [InlineData(""" "top_logprobs": 3 """, "top_logprobs")]
    [InlineData(""" "logprobs": true, "top_logprobs": 21 """, "top_logprobs")]
    [InlineData(""" "stop": 5 """, "stop")]
    [InlineData(""" "stop": [""] """, "stop")]
    [InlineData(""" "stop": ["a", 1] """, "stop")]
    [InlineData(""" "stop": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"] """, "stop")]
    [InlineData(""" "logit_bias": [] """, "logit_bias")]
    [InlineData(""" "logit_bias": {"x": 1} """, "logit_bias")]
    [InlineData(""" "logit_bias": {"296": 1} """, "logit_bias")]
    [InlineData(""" "logit_bias": {"3": 101} """, "logit_bias")]
    [InlineData(""" "logit_bias": {"3": "up"} """, "logit_bias")]
    [InlineData(""" "ignore_eos": 1 """, "ignore_eos")]
    [InlineData(""" "user": 7 """, "user")]
    [InlineData(""" "tools": {"type": "function"} """, "tools")]
    [InlineData(""" "tools": [{"type": "retrieval"}] """, "tools[0].type")]
    [InlineData(""" "tools": [{"type": "function", "function": {"name": "bad name"}}] """, "tools[0].function.name")]
    [InlineData(""" "tools": [{"type": "function", "function": {"name": "f", "parameters": 3}}] """, "tools[0].function.parameters")]
    [InlineData(""" "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}}}}], "tool_choice": "required" """, "tools")]
    [InlineData(""" "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}} """, "tool_choice")]
    [InlineData(""" "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "sometimes" """, "tool_choice")]
    [InlineData(""" "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required", "grammar": "root ::= \"a\"" """, "tool_choice")]
    [InlineData(""" "tool_choice": "required" """, "tool_choice")]
    [InlineData(""" "functions": [{"name": "f"}] """, "functions")]
    [InlineData(""" "function_call": {"name": "f"} """, "function_call")]
    [InlineData(""" "response_format": "json" """, "response_format")]
    [InlineData(""" "response_format": {"type": "yaml"} """, "response_format.type")]
    [InlineData(""" "response_format": {"type": "json_schema"} """, "response_format.json_schema")]
    [InlineData(""" "response_format": {"type": "json_schema", "json_schema": {"schema": {}}} """, "response_format.json_schema.name")]
    [InlineData(""" "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": 3}} """, "response_format.json_schema.schema")]
    [InlineData(""" "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "a+"}}} """, "response_format.json_schema.schema")]
    [InlineData(""" "grammar": "root ::= missing" """, "grammar")]
    [InlineData(""" "grammar": 5 """, "grammar")]
    [InlineData(""" "json_schema": {"allOf": []} """, "json_schema")]
    [InlineData(""" "grammar": "root ::= \"a\"", "response_format": {"type": "json_object"} """, "grammar")]
    [InlineData(""" "modalities": ["text", "audio"] """, "modalities")]
    [InlineData(""" "audio": {"voice": "x"} """, "audio")]
    [InlineData(""" "prediction": {"type": "content", "content": "x"}, "logprobs": true """, "prediction")]
    [InlineData(""" "prediction": {"type": "content", "content": [{"type": "image_url"}]} """, "prediction.content")]
    [InlineData(""" "prediction": "x" """, "prediction")]
    [InlineData(""" "speculative": 3 """, "speculative")]
    public void ParseChat_BadField_400NamesIt(string fields, string param)
    {
        var e = Rejected(() => Chat(fields));
        Assert.Equal(400, e.Status);
        Assert.Equal(param, e.Param);
    }

    [Theory]
    [InlineData(""" "response_format": {"type": "json_object"} """, "{\"a\": 1}", "[1]")]
    [InlineData(""" "response_format": {"type": "json_schema", "json_schema": {"name": "p", "strict": true, "schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": false}}} """, "{\"n\": 5}", "{\"n\": \"5\"}")]
    [InlineData(""" "response_format": {"type": "json_object", "schema": {"type": "array", "items": {"type": "boolean"}}} """, "[true]", "[1]")]
    [InlineData(""" "json_schema": {"enum": ["x", "y"]} """, "\"y\"", "\"z\"")]
    [InlineData(""" "grammar": "root ::= [0-9]+" """, "123", "12a")]
    public void ParseChat_Constraint_CompiledToTheGrammarAsked(string fields, string accepted, string rejected)
    {
        var grammar = Chat(fields).Request.Grammar;
        Assert.NotNull(grammar);
        Assert.True(grammar.Accepts(accepted));
        Assert.False(grammar.Accepts(rejected));
    }

    [Fact]
    public void ParseChat_TextFormat_NoConstraint() => Assert.Null(Chat(""" "response_format": {"type": "text"} """).Request.Grammar);

    [Fact]
    public void ParseCompletion_Grammar_Accepted() =>
        Assert.True(Completion(""" "prompt": "t1", "grammar": "root ::= \"t2\"" """).Request.Grammar!.Accepts("t2"));

    [Theory]
    [InlineData("""{}""", "messages")]
    [InlineData("""{"messages": "hi"}""", "messages")]
    [InlineData("""{"messages": []}""", "messages")]
    [InlineData("""{"messages": [1]}""", "messages[0]")]
    [InlineData("""{"messages": [{"content": "x"}]}""", "messages[0].role")]
    [InlineData("""{"messages": [{"role": "robot", "content": "x"}]}""", "messages[0].role")]
    [InlineData("""{"messages": [{"role": 1, "content": "x"}]}""", "messages[0].role")]
    [InlineData("""{"messages": [{"role": "user", "content": 5}]}""", "messages[0].content")]
    [InlineData("""{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", "messages[0].content")]
    [InlineData("""{"messages": [{"role": "user", "content": [{"type": "text"}]}]}""", "messages[0].content")]
    [InlineData("""{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": [1]}]}""", "messages[1].content")]
    [InlineData("""{"messages": [{"role": "tool", "content": "1"}]}""", "messages[0].tool_call_id")]
    [InlineData("""{"messages": [{"role": "assistant", "tool_calls": [{"type": "function"}]}]}""", "messages[0].tool_calls[0]")]
    public void ParseChat_BadMessages_400NamesWhere(string json, string param)
    {
        var e = Assert.Throws<ApiException>(() => GenerationRequestParser.ParseChat(Parse(json), Model));
        Assert.Equal((400, param), (e.Status, e.Param));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void ParseChat_BodyNotAnObject_400(string json)
    {
        var e = Assert.Throws<ApiException>(() => GenerationRequestParser.ParseChat(Parse(json), Model));
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public void ParseChat_OtherModel_404ModelNotFound()
    {
        var e = Rejected(() => Chat(""" "model": "gpt-4" """));
        Assert.Equal((404, "model", "model_not_found"), (e.Status, e.Param, e.Code));
    }

    [Theory]
    [InlineData(""" "prompt": "t1", "echo": true """, "echo")]
    [InlineData(""" "prompt": "t1", "suffix": "x" """, "suffix")]
    [InlineData(""" "max_tokens": 4 """, "prompt")]
    [InlineData(""" "prompt": 5 """, "prompt")]
    [InlineData(""" "prompt": ["a", "b"] """, "prompt")]
    [InlineData(""" "prompt": [1, 296] """, "prompt")]
    [InlineData(""" "prompt": [1, -1] """, "prompt")]
    [InlineData(""" "prompt": [[1, 2], [3]] """, "prompt")]
    [InlineData(""" "prompt": [] """, "prompt")]
    [InlineData(""" "prompt": "t1", "logprobs": 6 """, "logprobs")]
    [InlineData(""" "prompt": "t1", "best_of": 2 """, "best_of")]
    [InlineData(""" "prompt": "t1", "max_tokens": 0 """, "max_tokens")]
    public void ParseCompletion_BadField_400NamesIt(string fields, string param)
    {
        var e = Rejected(() => Completion(fields));
        Assert.Equal((400, param), (e.Status, e.Param));
    }

    [Fact]
    public void ParseChat_NothingSet_SamplingDefaultsAndNoMaxTokens()
    {
        var parsed = Chat("");
        var sampling = parsed.Request.Sampling;
        Assert.Equal((SamplingDefaults.Temperature, SamplingDefaults.TopK, SamplingDefaults.TopP, SamplingDefaults.MinP),
            (sampling.Temperature, sampling.TopK, sampling.TopP, sampling.MinP));
        Assert.Equal(SamplingDefaults.RepetitionPenalty, sampling.RepetitionPenalty);
        Assert.Null(sampling.Seed);
        Assert.Null(parsed.Request.MaxTokens);
        Assert.Equal(-1, parsed.Request.TopLogprobs);
        Assert.False(parsed.Stream);
        Assert.Equal("messages", parsed.PromptParam);
    }

    [Fact]
    public void ParseChat_EverythingSet_CarriedOver()
    {
        var parsed = Chat("""
            "temperature": 0.3, "top_p": 0.5, "top_k": 7, "min_p": 0.1, "repetition_penalty": 1.2, "presence_penalty": 0.5,
            "frequency_penalty": -0.5, "seed": -1, "max_completion_tokens": 9, "max_tokens": 99, "stop": ["t2", "t3"], "logprobs": true, "top_logprobs": 2,
            "logit_bias": {"5": -100}, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true}, "model": "tiny", "user": "u",
            "tools": [], "tool_choice": "none", "response_format": {"type": "text"}
            """);
        var r = parsed.Request;
        Assert.Equal((0.3f, 0.5f, 7, 0.1f), (r.Sampling.Temperature, r.Sampling.TopP, r.Sampling.TopK, r.Sampling.MinP));
        Assert.Equal((1.2f, 0.5f, -0.5f), (r.Sampling.RepetitionPenalty, r.Sampling.PresencePenalty, r.Sampling.FrequencyPenalty));
        Assert.Equal(ulong.MaxValue, r.Sampling.Seed);
        Assert.Equal(9, r.MaxTokens);
        Assert.Equal(["t2", "t3"], r.StopStrings);
        Assert.Equal(2, r.TopLogprobs);
        Assert.Equal(-100f, r.Sampling.LogitBias![5]);
        Assert.True(r.IgnoreEndOfGeneration);
        Assert.True(parsed.Stream && parsed.IncludeUsage && parsed.Logprobs);
        Assert.Equal(Model.Renderer.Tokenize(Parse("""[{"role": "user", "content": "t1"}]""")), r.PromptTokens);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ParseChat_TopKZeroOrMinusOne_Off(int topK) => Assert.Equal(0, Chat($""" "top_k": {topK} """).Request.Sampling.TopK);

    [Fact]
    public void ParseChat_DeveloperRoleAndTextParts_SystemAndJoined()
    {
        var parsed = GenerationRequestParser.ParseChat(Parse("""{"messages": [{"role": "developer", "content": "t1"}, {"role": "user", "content": [{"type": "text", "text": "t2"}, {"type": "text", "text": "t3"}]}]}"""), Model);
        Assert.Equal(Model.Renderer.Tokenize(Parse("""[{"role": "system", "content": "t1"}, {"role": "user", "content": "t2t3"}]""")), parsed.Request.PromptTokens);
    }

    [Fact]
    public void ParseCompletion_Defaults_16TokensAndTheTextTokenized()
    {
        var parsed = Completion(""" "prompt": "t1t2" """);
        Assert.Equal(16, parsed.Request.MaxTokens);
        Assert.Equal(Model.Tokenizer.Encode("t1t2", addSpecial: true, parseSpecial: true), parsed.Request.PromptTokens);
        Assert.Equal("prompt", parsed.PromptParam);
    }

    [Theory]
    [InlineData("[3, 4, 5]")]
    [InlineData("[[3, 4, 5]]")]
    public void ParseCompletion_TokenIds_TakenAsTheyAre(string prompt) =>
        Assert.Equal([3, 4, 5], Completion($""" "prompt": {prompt} """).Request.PromptTokens);

    [Fact]
    public void ParseCompletion_Logprobs_TopCountFromTheInteger()
    {
        var parsed = Completion(""" "prompt": "t1", "logprobs": 3 """);
        Assert.True(parsed.Logprobs);
        Assert.Equal(3, parsed.Request.TopLogprobs);
    }

    /// <summary>Predicted Outputs: the prediction's text becomes tokens for the n-gram proposer and turns it on; the
    /// speculative switch alone chooses the method.</summary>
    [Fact]
    public void ParseChat_PredictionAndSpeculative()
    {
        var predicted = Chat(""" "prediction": {"type": "content", "content": [{"type": "text", "text": "t1"}, {"type": "text", "text": "t2"}]} """).Request;
        Assert.Equal(Wafer.Engine.Speculation.SpeculationMethod.Ngram, predicted.Speculation);
        Assert.Equal(Model.Tokenizer.Encode("t1t2", addSpecial: false, parseSpecial: false), predicted.PredictionTokens);
        Assert.Equal(Wafer.Engine.Speculation.SpeculationMethod.None, Chat(""" "speculative": false """).Request.Speculation);
        Assert.Equal(Wafer.Engine.Speculation.SpeculationMethod.Ngram, Chat(""" "speculative": "ngram" """).Request.Speculation);
        Assert.Null(Chat("").Request.Speculation);
    }

    /// <summary>A thinking template: JSON answers and forced tool calls are constrained after the reasoning block, a raw GBNF
    /// grammar is the whole output, and a template that does not think is left alone.</summary>
    [Fact]
    public void Thinking_JsonAndForcedToolsConstrainedAfterTheBlock_RawGrammarWhole()
    {
        var thinking = Model with { Renderer = new ChatPromptRenderer(ChatTemplate.Parse("{#- <think> -#}{% for m in messages %}{{ m.content }}{% endfor %}"), Model.Tokenizer) };
        string user = User;
        ParsedGeneration Run(string fields) => GenerationRequestParser.ParseChat(Parse($"{{{user}, {fields}}}"), thinking);
        Assert.Equal("wafer-think-root", Run("""  "response_format": {"type": "json_object"} """).Request.Grammar!.Start);
        Assert.Equal("wafer-think-root", Run("""  "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required" """).Request.Grammar!.Start);
        Assert.Equal("root", Run("""  "grammar": "root ::= \"x\"" """).Request.Grammar!.Start);
        Assert.NotEqual("wafer-think-root", Run("""  "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto" """).Request.Grammar?.Start); // lazy: waits for its trigger
        Assert.Equal("root", Chat("""  "response_format": {"type": "json_object"} """).Request.Grammar!.Start);
    }
}
