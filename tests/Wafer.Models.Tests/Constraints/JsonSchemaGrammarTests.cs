using System.Text.Json;
using Wafer.Models.Constraints;

namespace Wafer.Models.Tests.Constraints;

/// <summary>JSON Schema → grammar: the sentences are the JSON texts the schema accepts, for the supported keywords;
/// the others are refused by name.</summary>
public class JsonSchemaGrammarTests
{
    private static Grammar Compile(string schema) => JsonSchemaGrammar.Compile(JsonDocument.Parse(schema).RootElement);

    private const string Person = """
        {"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 5},
            "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1, "maxItems": 2},
            "address": {"$ref": "#/$defs/address"},
            "born": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "kind": {"anyOf": [{"const": "x"}, {"type": "null"}]}
          },
          "required": ["name", "age"], "additionalProperties": false,
          "$defs": {"address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
        """;

    [Theory]
    [InlineData("""{"name": "Ann", "age": 3}""", true)]
    [InlineData("""{"name":"Ann","age":-3,"tags":["a","b"],"address":{"city":"Oslo"},"born":"2020-01-31","kind":null}""", true)]
    [InlineData("""{"name": "Ann", "age": 3, "id": "123e4567-e89b-12d3-a456-426614174000", "kind": "x"}""", true)]
    [InlineData("""{"age": 3, "name": "Ann"}""", false)]             // declaration order
    [InlineData("""{"name": "Ann"}""", false)]                       // required age missing
    [InlineData("""{"name": "Ann", "age": 3.5}""", false)]           // integer
    [InlineData("""{"name": "", "age": 3}""", false)]                // minLength
    [InlineData("""{"name": "Annabel", "age": 3}""", false)]         // maxLength
    [InlineData("""{"name": "Ann", "age": 3, "tags": []}""", false)] // minItems
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["a","b","a"]}""", false)] // maxItems
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["c"]}""", false)]         // enum
    [InlineData("""{"name": "Ann", "age": 3, "extra": 1}""", false)]            // additionalProperties false
    [InlineData("""{"name": "Ann", "age": 3, "born": "2020-13-01"}""", false)]  // date
    [InlineData("""{"name": "Ann", "age": 3, "address": {}}""", false)]         // nested required
    public void Person_Accepts(string json, bool accepted) => Assert.Equal(accepted, Compile(Person).Accepts(json));

    [Theory]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "number"}}}""", """{}""", true)]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "number"}}}""", """{"b": 1.5e3}""", true)]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "number"}}}""", """{"a": true, "b": 2}""", true)]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "number"}}}""", """{, "b": 2}""", false)]
    [InlineData("""{"type": ["string", "null"]}""", "null", true)]
    [InlineData("""{"type": "object", "additionalProperties": {"type": "integer"}}""", """{"x": 1, "y": 2}""", true)]
    [InlineData("""{"type": "object", "additionalProperties": {"type": "integer"}}""", """{"x": "1"}""", false)]
    [InlineData("""{"oneOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#"}}]}""", "[1]", false)]
    [InlineData("""{"$defs": {"t": {"type": "object", "properties": {"k": {"type": "array", "items": {"$ref": "#/$defs/t"}}}, "required": ["k"]}}, "$ref": "#/$defs/t"}""", """{"k": [{"k": []}]}""", true)]
    [InlineData("""{}""", """{"anything": [1, "x"]}""", true)]
    public void Shapes(string schema, string json, bool accepted)
    {
        if (schema.Contains("\"$ref\": \"#\""))
        {
            Assert.Throws<GrammarException>(() => Compile(schema));
            return;
        }
        Assert.Equal(accepted, Compile(schema).Accepts(json));
    }

    [Theory]
    [InlineData("""{"type": "string", "pattern": "^a+$"}""", "'pattern'")]
    [InlineData("""{"type": "integer", "minimum": 3}""", "'minimum'")]
    [InlineData("""{"allOf": [{"type": "string"}]}""", "'allOf'")]
    [InlineData("""{"type": "string", "format": "email"}""", "format 'email'")]
    [InlineData("""{"type": "widget"}""", "unknown JSON schema type 'widget'")]
    [InlineData("""{"$ref": "https://example.com/s.json"}""", "only local references")]
    [InlineData("""{"type": "object", "properties": {"a": {}}, "required": ["b"]}""", "names 'b'")]
    public void Unsupported_NamesTheKeyword(string schema, string message) =>
        Assert.Contains(message, Assert.Throws<GrammarException>(() => Compile(schema)).Message);
}
