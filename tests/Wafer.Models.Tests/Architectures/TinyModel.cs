using System.Runtime.InteropServices;
using Wafer.Kernels;
using Wafer.Models.Gguf;

namespace Wafer.Models.Tests.Architectures;

/// <summary>Writes small random-weight F32 GGUF models of any supported architecture for tests.</summary>
internal static class TinyModel
{
    public const int Embedding = 32, Heads = 4, KvHeads = 2, FeedForward = 48, Vocab = 40, Layers = 2, Context = 64;

    /// <summary>Tokens of a model written with <c>byteFallback</c>: "t0"…"t39", then "&lt;0x00&gt;"…"&lt;0xFF&gt;" (SentencePiece byte
    /// tokens), so any text can be tokenized (a chat template's markup too).</summary>
    public const int ByteFallbackVocab = Vocab + 256;

    /// <param name="embedding">Width (a multiple of <see cref="Heads"/>); with <paramref name="feedForward"/> and
    /// <paramref name="layers"/>, larger values make a model of real size in memory (tests of loading and unloading).</param>
    /// <param name="metadata">Keys added after the common ones (without the architecture's prefix), e.g. a sliding window.</param>
    public static string Write(string directory, string architecture, int seed = 1, bool byteFallback = false,
        int embedding = Embedding, int feedForward = FeedForward, int layers = Layers, int context = Context,
        (string Key, GgufValueType Type, object Value)[]? metadata = null, string? name = null)
    {
        var random = new Random(seed);
        int vocab = byteFallback ? ByteFallbackVocab : Vocab;
        var w = new GgufWriter();
        string a = architecture;
        w.Metadata.Set("general.architecture", GgufValueType.String, a);
        w.Metadata.Set($"{a}.context_length", GgufValueType.UInt32, (uint)context);
        w.Metadata.Set($"{a}.embedding_length", GgufValueType.UInt32, (uint)embedding);
        w.Metadata.Set($"{a}.block_count", GgufValueType.UInt32, (uint)layers);
        w.Metadata.Set($"{a}.feed_forward_length", GgufValueType.UInt32, (uint)feedForward);
        w.Metadata.Set($"{a}.attention.head_count", GgufValueType.UInt32, (uint)Heads);
        w.Metadata.Set($"{a}.attention.head_count_kv", GgufValueType.UInt32, (uint)KvHeads);
        w.Metadata.Set($"{a}.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 1e-6f);
        foreach (var (key, type, value) in metadata ?? []) w.Metadata.Set($"{a}.{key}", type, value);
        w.Metadata.Set("tokenizer.ggml.model", GgufValueType.String, "llama");
        var tokens = Enumerable.Range(0, Vocab).Select(i => $"t{i}");
        if (byteFallback)
        {
            w.Metadata.Set("tokenizer.ggml.tokens", GgufValueType.Array, tokens.Concat(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>")).ToArray());
            // 1 = normal, 6 = byte (llama.cpp's token types)
            w.Metadata.Set("tokenizer.ggml.token_type", GgufValueType.Array, Enumerable.Repeat(1, Vocab).Concat(Enumerable.Repeat(6, 256)).ToArray());
        }
        else w.Metadata.Set("tokenizer.ggml.tokens", GgufValueType.Array, tokens.ToArray());

        int headDim = embedding / Heads, kv = KvHeads * headDim;
        void Matrix(string name, int columns, int rows) => w.AddTensor(name, GgmlType.F32, [columns, rows], Random(random, columns * rows, 0.2f, 0));
        void Vector(string name, int length, float scale, float offset) => w.AddTensor(name, GgmlType.F32, [length], Random(random, length, scale, offset));
        Matrix("token_embd.weight", embedding, vocab);
        Vector("output_norm.weight", embedding, 0.1f, 1);
        for (int l = 0; l < layers; l++)
        {
            string B(string s) => $"blk.{l}.{s}";
            Vector(B("attn_norm.weight"), embedding, 0.1f, 1);
            if (a == "phi3") Matrix(B("attn_qkv.weight"), embedding, embedding + 2 * kv);
            else
            {
                Matrix(B("attn_q.weight"), embedding, embedding);
                Matrix(B("attn_k.weight"), embedding, kv);
                Matrix(B("attn_v.weight"), embedding, kv);
            }
            if (a == "qwen2")
            {
                Vector(B("attn_q.bias"), embedding, 0.05f, 0);
                Vector(B("attn_k.bias"), kv, 0.05f, 0);
                Vector(B("attn_v.bias"), kv, 0.05f, 0);
            }
            if (a is "qwen3" or "gemma3")
            {
                Vector(B("attn_q_norm.weight"), headDim, 0.1f, 1);
                Vector(B("attn_k_norm.weight"), headDim, 0.1f, 1);
            }
            bool gemma = a is "gemma2" or "gemma3";
            Matrix(B("attn_output.weight"), embedding, embedding);
            if (gemma) Vector(B("post_attention_norm.weight"), embedding, 0.1f, 1);
            Vector(B("ffn_norm.weight"), embedding, 0.1f, 1);
            if (a == "phi3") Matrix(B("ffn_up.weight"), embedding, 2 * feedForward);
            else
            {
                Matrix(B("ffn_gate.weight"), embedding, feedForward);
                Matrix(B("ffn_up.weight"), embedding, feedForward);
            }
            Matrix(B("ffn_down.weight"), feedForward, embedding);
            if (gemma) Vector(B("post_ffw_norm.weight"), embedding, 0.1f, 1);
        }
        string size = embedding == Embedding && feedForward == FeedForward && layers == Layers ? "" : $"-{embedding}x{layers}";
        string path = Path.Combine(directory, name ?? $"tiny-{a}-{seed}{(byteFallback ? "-bytes" : "")}{size}.gguf");
        w.Write(path);
        return path;
    }

    private static byte[] Random(Random random, int count, float scale, float offset)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = offset + scale * (float)(random.NextDouble() * 2 - 1);
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }
}
