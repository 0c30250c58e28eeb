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
            foreach (var (tensor, dimensions, role) in BlockTensors(a, l, embedding, embedding, kv, headDim, feedForward))
            {
                if (role == TensorRole.Matrix) Matrix(tensor, (int)dimensions[0], (int)dimensions[1]);
                else if (role == TensorRole.Norm) Vector(tensor, (int)dimensions[0], 0.1f, 1);
                else Vector(tensor, (int)dimensions[0], 0.05f, 0);
            }
        string size = embedding == Embedding && feedForward == FeedForward && layers == Layers ? "" : $"-{embedding}x{layers}";
        string path = Path.Combine(directory, name ?? $"tiny-{a}-{seed}{(byteFallback ? "-bytes" : "")}{size}.gguf");
        w.Write(path);
        return path;
    }

    /// <summary>What a block tensor is, for the writers' choice of values.</summary>
    internal enum TensorRole { Matrix, Norm, Bias }

    /// <summary>The tensors of block <paramref name="layer"/> of <paramref name="architecture"/> in the order llama.cpp's
    /// converters write them (ggml dimensions, row length first): the one layout this writer and the architecture golden
    /// models of <c>ArchitectureFidelityTests</c> share. Qwen2 has q/k/v biases, Qwen3 and Gemma 3 q/k norms, Gemma
    /// post-attention and post-FFN norms, Phi-3 a fused attn_qkv and an ffn_up of gate and up.</summary>
    internal static IEnumerable<(string Name, long[] Dimensions, TensorRole Role)> BlockTensors(string architecture, int layer,
        int embedding, int query, int kv, int headDim, int feedForward)
    {
        string a = architecture;
        string B(string s) => $"blk.{layer}.{s}";
        bool gemma = a is "gemma2" or "gemma3";
        yield return (B("attn_norm.weight"), [embedding], TensorRole.Norm);
        if (a == "phi3") yield return (B("attn_qkv.weight"), [embedding, query + 2 * kv], TensorRole.Matrix);
        else
        {
            yield return (B("attn_q.weight"), [embedding, query], TensorRole.Matrix);
            yield return (B("attn_k.weight"), [embedding, kv], TensorRole.Matrix);
            yield return (B("attn_v.weight"), [embedding, kv], TensorRole.Matrix);
        }
        if (a == "qwen2")
        {
            yield return (B("attn_q.bias"), [query], TensorRole.Bias);
            yield return (B("attn_k.bias"), [kv], TensorRole.Bias);
            yield return (B("attn_v.bias"), [kv], TensorRole.Bias);
        }
        if (a is "qwen3" or "gemma3")
        {
            yield return (B("attn_q_norm.weight"), [headDim], TensorRole.Norm);
            yield return (B("attn_k_norm.weight"), [headDim], TensorRole.Norm);
        }
        yield return (B("attn_output.weight"), [query, embedding], TensorRole.Matrix);
        if (gemma) yield return (B("post_attention_norm.weight"), [embedding], TensorRole.Norm);
        yield return (B("ffn_norm.weight"), [embedding], TensorRole.Norm);
        if (a == "phi3") yield return (B("ffn_up.weight"), [embedding, 2 * feedForward], TensorRole.Matrix);
        else
        {
            yield return (B("ffn_gate.weight"), [embedding, feedForward], TensorRole.Matrix);
            yield return (B("ffn_up.weight"), [embedding, feedForward], TensorRole.Matrix);
        }
        yield return (B("ffn_down.weight"), [feedForward, embedding], TensorRole.Matrix);
        if (gemma) yield return (B("post_ffw_norm.weight"), [embedding], TensorRole.Norm);
    }

    /// <summary>A writer holding <paramref name="input"/>'s metadata and tensors in order (add keys or tensors, then write).</summary>
    internal static GgufWriter CopyOf(GgufFile input)
    {
        var writer = new GgufWriter { Alignment = input.Alignment };
        foreach (var e in input.Metadata.Entries) writer.Metadata.Set(e.Key, e.Type, e.Value);
        foreach (var t in input.Tensors) writer.AddTensor(t.Name, t.Type, t.Dimensions, input.Data(t).ToArray());
        return writer;
    }

    private static byte[] Random(Random random, int count, float scale, float offset)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = offset + scale * (float)(random.NextDouble() * 2 - 1);
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }
}
