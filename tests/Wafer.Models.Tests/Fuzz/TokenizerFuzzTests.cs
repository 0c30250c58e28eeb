using System.Text;
using Wafer.Models.Gguf;
using Wafer.Models.Tests.Tokenization;
using Wafer.Models.Tokenization;
using Wafer.Tests.Fuzz;

namespace Wafer.Models.Tests.Fuzz;

/// <summary>Every tokenizer kind encodes random text (unpaired surrogates, controls, combining marks, text decoded from invalid
/// UTF-8, special-token spellings) and decodes random ids: encoding yields ids inside the vocabulary or an
/// <see cref="UntokenizableTextException"/>; decoding an id inside the vocabulary always succeeds (batch and incremental),
/// one outside it is the documented <see cref="ArgumentOutOfRangeException"/>.</summary>
public sealed class TokenizerFuzzTests
{
    private static readonly Lazy<Tokenizer> Stories = new(() =>
    {
        using var file = GgufFile.Open(Repository.DefaultModel);
        return Tokenizer.FromMetadata(file.Metadata, "stories260K-Q8_0.gguf");
    });

    private static readonly string[] Texts =
    [
        "Once upon a time, there was a little girl named Lily.", "<s></s><|im_start|>user\nhi<|im_end|>[CLS][SEP]<|endoftext|>",
        "  leading and trailing  ", "1234567890 3.14 1e999", "naïve café 日本語 한국어 العربية 🐕‍🦺 👩🏽‍💻", "\t\r\n\v\f\0", "'s 're 've ll",
    ];

    private static string RandomInput(Random random, Tokenizer tokenizer) => random.Next(6) switch
    {
        0 => Mutator.RandomText(random, 64),
        1 => Encoding.UTF8.GetString(Mutator.Mutate(Encoding.UTF8.GetBytes(Texts[random.Next(Texts.Length)]), random, [])), // invalid UTF-8 → U+FFFD
        2 => tokenizer.TokenText(random.Next(tokenizer.VocabularySize)) + Mutator.RandomText(random, 4) + tokenizer.TokenText(random.Next(tokenizer.VocabularySize)),
        3 => new string(Texts[random.Next(Texts.Length)].Reverse().ToArray()), // reversed: surrogate pairs become unpaired halves
        4 => new string(' ', random.Next(1, 2000)) + Mutator.RandomText(random, 4),
        _ => string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => Texts[random.Next(Texts.Length)])),
    };

    private static void Execute(Tokenizer tokenizer, int seed)
    {
        var random = new Random(seed);
        var ids = tokenizer.Encode(RandomInput(random, tokenizer), addSpecial: random.Next(2) == 0, parseSpecial: random.Next(2) == 0);
        foreach (int id in ids)
            if ((uint)id >= (uint)tokenizer.VocabularySize) throw new InvalidOperationException($"Encode gave id {id}, outside the vocabulary of {tokenizer.VocabularySize}");
        _ = tokenizer.Decode(ids);
        var random_ids = Enumerable.Range(0, random.Next(1, 24)).Select(_ => random.Next(tokenizer.VocabularySize)).ToList();
        _ = tokenizer.Decode(random_ids);
        var decoder = tokenizer.CreateIncrementalDecoder();
        foreach (int id in random_ids) _ = decoder.Append(id);
        _ = decoder.Flush();
        if (random.Next(4) == 0)
        {
            int bad = random.Next(3) switch { 0 => -1, 1 => tokenizer.VocabularySize, _ => int.MaxValue };
            try
            {
                _ = tokenizer.Decode([bad]);
            }
            catch (ArgumentOutOfRangeException)
            {
                return;
            }
            throw new InvalidOperationException($"Decode of id {bad} (vocabulary {tokenizer.VocabularySize}) did not throw ArgumentOutOfRangeException");
        }
    }

    private static void Fuzz(string name, Tokenizer tokenizer, int iterations) =>
        FuzzRunner.Run($"tokenizer-{name}", 1, FuzzRunner.Iterations(iterations), r => BitConverter.GetBytes(r.Next()),
            input => Execute(tokenizer, BitConverter.ToInt32(input)), e => e is UntokenizableTextException);

    [Fact]
    public void EncodeDecode_EmbeddedSentencePiece_IdsOrUntokenizable() => Fuzz("stories260K", Stories.Value, 1500);

    [Theory]
    [InlineData("vocab/ggml-vocab-llama-spm.gguf")]
    [InlineData("vocab/ggml-vocab-llama-bpe.gguf")]
    [InlineData("vocab/ggml-vocab-gpt-2.gguf")]
    [InlineData("vocab/ggml-vocab-qwen2.gguf")]
    [InlineData("vocab/ggml-vocab-phi-3.gguf")]
    [InlineData("vocab/ggml-vocab-bert-bge.gguf")]
    [InlineData("vocab/ggml-vocab-gemma-4.gguf")]
    [InlineData("vocab/ggml-vocab-deepseek-coder.gguf")]
    public void EncodeDecode_FixtureVocabularies_IdsOrUntokenizable(string vocabulary) =>
        Fuzz(Path.GetFileNameWithoutExtension(vocabulary), TokenizerCache.Get(vocabulary), 300);
}
