using Wafer.Models.Constraints;

namespace Wafer.Models.Tests.Constraints;

/// <summary>The GBNF engine on llama.cpp's own grammar files and on the dialect's corners.</summary>
public class GbnfGrammarTests
{
    private static Grammar File(string name) => Grammar.Parse(System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Constraints", "Gbnf", name)));

    [Theory]
    [InlineData("json.gbnf", """{"a": [1, 2.5e3, true, null], "b": {"c": "x\"y\u00e9"}}""", true)]
    [InlineData("json.gbnf", """{"a": 1,}""", false)]
    [InlineData("json.gbnf", """{"a" 1}""", false)]
    [InlineData("json.gbnf", """["not an object"]""", false)]
    [InlineData("arithmetic.gbnf", "1+2*(x3)=y\n", true)]
    [InlineData("arithmetic.gbnf", "1+=2\n", false)]
    [InlineData("list.gbnf", "- milk\n- eggs\n", true)]
    [InlineData("list.gbnf", "- milk\n-eggs\n", false)]
    [InlineData("chess.gbnf", "1. e4 e5\n2. Nf3 Nc6\n", true)]
    [InlineData("chess.gbnf", "1. e9 e5\n2. Nf3 Nc6\n", false)]
    [InlineData("c.gbnf", "int main(){return 0;}", true)]
    [InlineData("c.gbnf", "int main(){return 0}", false)]
    public void LlamaCppGrammar_SampleString_AcceptedOrRejected(string file, string text, bool accepted) =>
        Assert.Equal(accepted, File(file).Accepts(text));

    [Theory]
    [InlineData("root ::= \"a\"{2,3}", "aa", true)]
    [InlineData("root ::= \"a\"{2,3}", "aaaa", false)]
    [InlineData("root ::= \"a\"{2,}", "aaaaaa", true)]
    [InlineData("root ::= \"a\"{2}", "a", false)]
    [InlineData("root ::= [^a-c]+", "xyzé€😀", true)]
    [InlineData("root ::= [^a-c]+", "xbz", false)]
    [InlineData("root ::= .", "😀", true)]
    [InlineData("root ::= \"\\u00e9\\x41\"", "éA", true)]
    [InlineData("root ::= ( \"x\" \n  | \"y\" )* # comment", "xyyx", true)]
    [InlineData("root ::= item+\nitem ::= [0-9] \",\"?", "1,2,3", true)]
    public void Dialect_Corners(string gbnf, string text, bool accepted) => Assert.Equal(accepted, Grammar.Parse(gbnf).Accepts(text));

    [Theory]
    [InlineData("root ::= missing", "'missing' is used but not defined")]
    [InlineData("item ::= \"x\"", "no 'root' rule")]
    [InlineData("root ::= root \"x\" | \"y\"", "left-recursive")]
    [InlineData("root ::= \"abc", "unterminated string literal")]
    [InlineData("root ::= [a-", "unterminated character class")]
    [InlineData("root ::= \"a\"{3,1}", "maximum below its minimum")]
    [InlineData("root ::= \"a\"\nroot ::= \"b\"", "defined twice")]
    [InlineData("root = \"a\"", "expected '::='")]
    [InlineData("root ::= <|im_end|>", "token references")]
    public void Malformed_ClearError(string gbnf, string message) =>
        Assert.Contains(message, Assert.Throws<GrammarException>(() => Grammar.Parse(gbnf)).Message);

    [Fact]
    public void Parse_SameText_CompiledOnce() => Assert.Same(Grammar.Parse("root ::= \"q\""), Grammar.Parse("root ::= \"q\""));

    /// <summary>Property: random walks through the recognizer, choosing any byte that keeps a parse alive, produce strings
    /// that the grammar accepts as a whole once it may end, and never reach a state with no way forward and no way to end.</summary>
    [Theory]
    [InlineData("json.gbnf")]
    [InlineData("arithmetic.gbnf")]
    [InlineData("c.gbnf")]
    [InlineData("chess.gbnf")]
    public void RandomWalk_EveryAcceptedPrefixContinuesOrEnds(string file)
    {
        var grammar = File(file);
        var random = new Random(5);
        for (int walk = 0; walk < 40; walk++)
        {
            var bytes = new List<byte>();
            int state = grammar.InitialState;
            for (int step = 0; step < 200; step++)
            {
                var next = Enumerable.Range(0, 256).Where(b => grammar.Step(state, (byte)b) >= 0).ToList();
                bool canEnd = grammar.CanEnd(state);
                Assert.True(next.Count > 0 || canEnd, $"stuck after '{System.Text.Encoding.UTF8.GetString(bytes.ToArray())}'");
                if (canEnd) Assert.True(grammar.Accepts(bytes.ToArray()));
                if (next.Count == 0 || (canEnd && random.Next(8) == 0)) break;
                byte chosen = (byte)next[random.Next(next.Count)];
                bytes.Add(chosen);
                state = grammar.Step(state, chosen);
            }
        }
    }
}
