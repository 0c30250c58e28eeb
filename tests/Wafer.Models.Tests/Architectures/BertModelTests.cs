using System.Text.Json;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Architectures;

/// <summary>BERT embeddings against llama.cpp's (golden/embeddings.json: llama-embedding --pooling mean --embd-normalize 2,
/// plain F32 attention): cosine ≥ 0.999 per sentence for both fixture files, from the golden token ids and from our own
/// WordPiece tokenization of the sentences.</summary>
public class BertModelTests
{
    private static readonly Lazy<JsonDocument> Golden = new(() => JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden/embeddings.json"))));

    public static TheoryData<string> Files => new() { "models/synth-bert-2L-128-F16.gguf", "models/synth-bert-2L-128-Q8_0.gguf" };

    private static JsonElement Case(string file) =>
        Golden.Value.RootElement.GetProperty("models").EnumerateArray().First(m => m.GetProperty("file").GetString() == file);

    private static double Cosine(ReadOnlySpan<float> a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < b.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Embed_GoldenTokenIds_CosineAtLeast0999(string file)
    {
        var golden = Case(file);
        using var pool = new WorkerPool(2);
        using var model = BertModel.Load(Fixtures.Path(file), pool);
        Assert.Equal(golden.GetProperty("n_dim").GetInt32(), model.EmbeddingLength);
        var ids = golden.GetProperty("token_ids").EnumerateArray().ToList();
        var expected = golden.GetProperty("embeddings").EnumerateArray().ToList();
        var output = new float[model.EmbeddingLength];
        for (int s = 0; s < ids.Count; s++)
        {
            int[] tokens = [.. ids[s].EnumerateArray().Select(t => t.GetInt32())];
            model.Embed(tokens, output);
            float[] reference = [.. expected[s].EnumerateArray().Select(v => v.GetSingle())];
            double cosine = Cosine(output, reference);
            Assert.True(cosine >= 0.999, $"sentence {s}: cosine {cosine:F6}");
            Assert.InRange(Math.Sqrt(output.Sum(f => (double)f * f)), 0.9999, 1.0001);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Tokenize_GoldenSentences_SameIdsAsLlamaTokenize(string file)
    {
        var golden = Case(file);
        using var gguf = GgufFile.Open(Fixtures.Path(file));
        var tokenizer = Tokenizer.FromMetadata(gguf.Metadata, file);
        var sentences = Golden.Value.RootElement.GetProperty("sentences").EnumerateArray().Select(s => s.GetString()!).ToList();
        var ids = golden.GetProperty("token_ids").EnumerateArray().ToList();
        for (int s = 0; s < sentences.Count; s++)
            Assert.Equal(ids[s].EnumerateArray().Select(t => t.GetInt32()), tokenizer.Encode(sentences[s]));
    }

    /// <summary>One batch of all golden sentences gives each the vector it gets alone (the rows of one matrix multiplication
    /// do not mix; attention stays within a sentence), and agrees with llama.cpp as well.</summary>
    [Theory]
    [MemberData(nameof(Files))]
    public void EmbedBatch_GoldenSentences_SameAsOneAtATime(string file)
    {
        var golden = Case(file);
        using var pool = new WorkerPool(2);
        using var model = BertModel.Load(Fixtures.Path(file), pool);
        var sentences = golden.GetProperty("token_ids").EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetInt32()).ToArray()).ToList();
        var expected = golden.GetProperty("embeddings").EnumerateArray().ToList();
        int d = model.EmbeddingLength;
        var batch = new float[sentences.Count * d];
        model.EmbedBatch(sentences, batch);
        var alone = new float[d];
        for (int s = 0; s < sentences.Count; s++)
        {
            model.Embed(sentences[s], alone);
            var row = batch.AsSpan(s * d, d);
            for (int c = 0; c < d; c++) Assert.True(Math.Abs(row[c] - alone[c]) <= 1e-5f, $"sentence {s}, component {c}: {row[c]} vs {alone[c]}");
            Assert.True(Cosine(row, [.. expected[s].EnumerateArray().Select(v => v.GetSingle())]) >= 0.999);
        }
        var e = Assert.Throws<InvalidParameterException>(() => model.EmbedBatch([sentences[0], []], batch));
        Assert.Equal("input[1]", e.Parameter);
    }

    [Fact]
    public void Embed_TooLongOrOutsideTheVocabulary_NamesTheInput()
    {
        using var pool = new WorkerPool(1);
        using var model = BertModel.Load(Fixtures.Path("models/synth-bert-2L-128-F16.gguf"), pool);
        var output = new float[model.EmbeddingLength];
        var e = Assert.Throws<InvalidParameterException>(() => model.Embed(new int[model.ContextLength + 1], output));
        Assert.Equal(("input", "context_length_exceeded"), (e.Parameter, e.Code));
        Assert.Throws<InvalidParameterException>(() => model.Embed([101, model.VocabSize], output));
        Assert.Throws<InvalidParameterException>(() => model.Embed([], output));
    }

    [Fact]
    public void Load_DecoderModel_ClearError()
    {
        using var pool = new WorkerPool(1);
        var e = Assert.Throws<GgufFormatException>(() => BertModel.Load(Fixtures.Path("models/stories260K.gguf"), pool));
        Assert.Contains("not a BERT", e.Message);
    }
}
