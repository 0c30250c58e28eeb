using Wafer.Models.Constraints;
using Wafer.Models.Gguf;
using Wafer.Models.Tests.Architectures;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Constraints;

/// <summary>The token mask over a real trie: exactly the tokens whose bytes continue the grammar, end tokens only where it
/// may end, and sampling under the mask never gets stuck.</summary>
public class GrammarMatcherTests
{
    private static readonly Lazy<Tokenizer> LazyTokenizer = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("wafer-matcher-").FullName;
        using var file = GgufFile.Open(TinyModel.Write(dir, "llama", byteFallback: true));
        return Tokenizer.FromMetadata(file.Metadata, "tiny.gguf");
    });

    [Theory]
    [InlineData("""root ::= "t1" "t2"? """)]       // few tokens allowed: the sparse path
    [InlineData("""root ::= [^x]+ """)]            // almost every token allowed: the dense path
    [InlineData(JsonGrammars.Object)]
    public void Apply_KeepsExactlyTheTokensThatContinue(string gbnf)
    {
        var tokenizer = LazyTokenizer.Value;
        var trie = TokenTrie.For(tokenizer);
        var grammar = Grammar.Parse(gbnf);
        var matcher = grammar.CreateMatcher(trie);
        var random = new Random(2);
        var text = new List<byte>();
        for (int step = 0; step < 60 && !matcher.IsDone; step++)
        {
            var logits = Enumerable.Range(0, tokenizer.VocabularySize).Select(i => (float)i).ToArray();
            matcher.Apply(logits);
            var allowed = new List<int>();
            for (int id = 0; id < logits.Length; id++)
            {
                bool continues = trie.IsEnd(id) ? grammar.Accepts(text.ToArray()) : trie.Piece(id).Length > 0 && grammar.IsPrefix([.. text, .. trie.Piece(id).ToArray()]);
                Assert.True(continues == !float.IsNegativeInfinity(logits[id]), $"token {id} at step {step}");
                Assert.True(continues == matcher.Allows(id), $"Allows({id}) at step {step}");
                if (continues)
                {
                    Assert.Equal(id, logits[id]);
                    allowed.Add(id);
                }
            }
            Assert.NotEmpty(allowed); // never stuck
            int token = allowed[random.Next(allowed.Count)];
            if (trie.IsEnd(token)) break;
            matcher.Accept(token);
            text.AddRange(trie.Piece(token).ToArray());
        }
    }

    [Fact]
    public void Accept_TokenTheMaskForbids_Throws()
    {
        var trie = TokenTrie.For(LazyTokenizer.Value);
        var matcher = Grammar.Parse("""root ::= "t6" """).CreateMatcher(trie);
        int t5 = Enumerable.Range(0, trie.VocabularySize).First(id => trie.Piece(id).SequenceEqual("t5"u8));
        Assert.Throws<InvalidOperationException>(() => matcher.Accept(t5));
    }

    [Fact]
    public void Lazy_FreeUntilTheTriggerThenConstrained()
    {
        var trie = TokenTrie.For(LazyTokenizer.Value);
        int Id(string piece) => Enumerable.Range(0, trie.VocabularySize).First(id => trie.Piece(id).SequenceEqual(System.Text.Encoding.UTF8.GetBytes(piece)));
        var matcher = Grammar.Parse("""root ::= "t6" "t7" """).CreateLazyMatcher(trie, "t5t4");
        float[] Masked()
        {
            var logits = new float[trie.VocabularySize];
            matcher.Apply(logits);
            return logits;
        }
        Assert.DoesNotContain(float.NegativeInfinity, Masked());
        matcher.Accept(Id("t9"));
        matcher.Accept(Id("t5"));
        Assert.False(matcher.IsActive);
        Assert.DoesNotContain(float.NegativeInfinity, Masked());
        matcher.Accept(Id("t4")); // the trigger, across two tokens
        Assert.True(matcher.IsActive);
        var logits = Masked();
        var allowed = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).ToList();
        Assert.Contains(Id("t6"), allowed);
        Assert.All(allowed, id => Assert.True("t6t7"u8.StartsWith(trie.Piece(id)), $"token {id} does not start 't6t7'")); // "t6", or the byte 't'
        Assert.DoesNotContain(Id("t7"), allowed);
        matcher.Accept(Id("t6"));
        matcher.Accept(Id("t7"));
        Assert.True(matcher.IsDone);
    }

    /// <summary>A trigger that starts the sentence: once it appears the grammar has already read it, and continues from there.</summary>
    [Fact]
    public void Lazy_TriggerStartsTheSentence_GrammarIncludesIt()
    {
        var trie = TokenTrie.For(LazyTokenizer.Value);
        int Id(string piece) => Enumerable.Range(0, trie.VocabularySize).First(id => trie.Piece(id).SequenceEqual(System.Text.Encoding.UTF8.GetBytes(piece)));
        var matcher = Grammar.Parse("""root ::= "t5t4" "t6" """).CreateLazyMatcher(trie, "t5t4", triggerStartsSentence: true);
        matcher.Accept(Id("t9"));
        matcher.Accept(Id("t5"));
        matcher.Accept(Id("t4"));
        Assert.True(matcher.IsActive);
        Assert.True(matcher.Allows(Id("t6")));
        Assert.False(matcher.Allows(Id("t5")));
        matcher.Accept(Id("t6"));
        Assert.True(matcher.IsDone);
    }
}
