namespace Wafer.Models.Constraints;

/// <summary>Built-in grammars for JSON output.</summary>
public static class JsonGrammars
{
    /// <summary>Any JSON object (OpenAI's <c>response_format: {"type": "json_object"}</c>), as llama.cpp's grammars/json.gbnf
    /// writes it: whitespace only where a short run is allowed, so a model cannot pad forever.</summary>
    public const string Object = """
        root   ::= object
        value  ::= object | array | string | number | ("true" | "false" | "null") ws

        object ::=
          "{" ws (
                    string ":" ws value
            ("," ws string ":" ws value)*
          )? "}" ws

        array  ::=
          "[" ws (
                    value
            ("," ws value)*
          )? "]" ws

        string ::=
          "\"" (
            [^"\\\x7F\x00-\x1F] |
            "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
          )* "\"" ws

        number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

        # Optional space: by convention, applied in this grammar after literal chars when allowed
        ws ::= | " " | "\n" [ \t]{0,20}
        """;
}
