namespace Wafer.Models.Gguf;

/// <summary>Every GGUF metadata key and tensor name Wafer reads, in one table (llama.cpp's names).</summary>
public static class GgufNames
{
    public const string Architecture = "general.architecture";
    public const string ModelName = "general.name";
    public const string FileType = "general.file_type";
    public const string Alignment = "general.alignment";

    // Per-architecture keys: prefix with "{arch}.".
    public const string ContextLength = "context_length";
    public const string EmbeddingLength = "embedding_length";
    public const string BlockCount = "block_count";
    public const string FeedForwardLength = "feed_forward_length";
    public const string HeadCount = "attention.head_count";
    public const string HeadCountKv = "attention.head_count_kv";
    public const string KeyLength = "attention.key_length";
    public const string ValueLength = "attention.value_length";
    public const string RmsEpsilon = "attention.layer_norm_rms_epsilon";
    public const string RopeFreqBase = "rope.freq_base";
    public const string RopeDimensionCount = "rope.dimension_count";
    public const string RopeScalingType = "rope.scaling.type";
    public const string RopeScalingFactor = "rope.scaling.factor";
    public const string RopeScaleLinear = "rope.scale_linear";
    public const string RopeScalingOriginalContext = "rope.scaling.original_context_length";
    public const string RopeScalingAttentionFactor = "rope.scaling.attn_factor";
    public const string VocabSize = "vocab_size";
    public const string SlidingWindow = "attention.sliding_window";
    public const string SlidingWindowPattern = "attention.sliding_window_pattern";
    public const string AttentionLogitSoftCap = "attn_logit_softcapping";
    public const string FinalLogitSoftCap = "final_logit_softcapping";
    public const string RopeFreqBaseSliding = "rope.freq_base_swa";

    public const string TokenizerModel = "tokenizer.ggml.model";
    public const string TokenizerTokens = "tokenizer.ggml.tokens";
    public const string ChatTemplate = "tokenizer.chat_template";

    public const string TokenEmbedding = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";
    public const string RopeFrequencies = "rope_freqs.weight";
    public const string RopeFactorsLong = "rope_factors_long.weight";
    public const string RopeFactorsShort = "rope_factors_short.weight";

    /// <summary>Name of a per-layer tensor, e.g. <c>Block(3, "attn_q.weight")</c> = <c>blk.3.attn_q.weight</c>.</summary>
    public static string Block(int layer, string suffix) => $"blk.{layer}.{suffix}";

    public const string AttentionNorm = "attn_norm.weight";
    public const string AttentionQ = "attn_q.weight";
    public const string AttentionK = "attn_k.weight";
    public const string AttentionV = "attn_v.weight";
    public const string AttentionQBias = "attn_q.bias";
    public const string AttentionKBias = "attn_k.bias";
    public const string AttentionVBias = "attn_v.bias";
    public const string AttentionQNorm = "attn_q_norm.weight";
    public const string AttentionKNorm = "attn_k_norm.weight";
    public const string AttentionQkv = "attn_qkv.weight";
    public const string AttentionOutput = "attn_output.weight";
    public const string AttentionPostNorm = "post_attention_norm.weight";
    public const string FeedForwardPostNorm = "post_ffw_norm.weight";
    public const string FeedForwardNorm = "ffn_norm.weight";
    public const string FeedForwardGate = "ffn_gate.weight";
    public const string FeedForwardUp = "ffn_up.weight";
    public const string FeedForwardDown = "ffn_down.weight";
}
