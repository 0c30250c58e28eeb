using Wafer.Models.Gguf;

namespace Wafer.Models.Architectures;

/// <summary>Hyper-parameters of a decoder-only transformer, read from GGUF metadata.</summary>
public sealed record ModelConfig
{
    /// <summary>Architectures Wafer can run.</summary>
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["llama", "qwen2", "qwen3"];

    public required string Architecture { get; init; }
    public required string Name { get; init; }
    public required int LayerCount { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int HeadCount { get; init; }
    public required int KvHeadCount { get; init; }
    public required int HeadDim { get; init; }
    public required int ContextLength { get; init; }
    public required int VocabSize { get; init; }
    public required float RmsEpsilon { get; init; }
    public required float RopeFreqBase { get; init; }
    /// <summary>Multiplier on rope angles (1 / linear scaling factor).</summary>
    public required float RopeFreqScale { get; init; }
    /// <summary>Leading dimensions of each head that rope rotates.</summary>
    public required int RopeDimensions { get; init; }
    /// <summary>YaRN scaling (or a rope magnitude other than 1) as llama.cpp derives it from the GGUF; null for plain rope.</summary>
    public Kernels.Ops.RopeYarn? RopeYarn { get; init; }
    /// <summary>True for GPT-NeoX-style rope (pairs i, i + d/2: Qwen), false for adjacent pairs (Llama).</summary>
    public required bool RopeNeox { get; init; }
    /// <summary>True when the model has per-head RMSNorm on q and k (Qwen3).</summary>
    public required bool HasQkNorm { get; init; }

    /// <summary>Query width: HeadCount × HeadDim.</summary>
    public int QueryLength => HeadCount * HeadDim;

    /// <summary>Key/value width: KvHeadCount × HeadDim.</summary>
    public int KvLength => KvHeadCount * HeadDim;

    /// <summary>Reads the configuration of <paramref name="file"/>, failing with a message that names the file and what is wrong.</summary>
    public static ModelConfig FromGguf(GgufFile file)
    {
        var m = file.Metadata;
        string fileName = System.IO.Path.GetFileName(file.Path);
        string arch = m.GetStringOrDefault(GgufNames.Architecture)
            ?? throw new GgufFormatException($"model file '{fileName}' has no '{GgufNames.Architecture}'; is it a model (not a vocabulary-only file)?");
        if (!SupportedArchitectures.Contains(arch))
            throw new NotSupportedException($"model file '{fileName}' has architecture '{arch}', which Wafer does not support yet; supported: {string.Join(", ", SupportedArchitectures)}");

        string Key(string k) => $"{arch}.{k}";
        int Required(string k)
        {
            long v = m.Contains(Key(k)) ? m.GetInt64(Key(k)) : throw new GgufFormatException($"model file '{fileName}' lacks metadata '{Key(k)}'");
            if (v <= 0 || v > int.MaxValue) throw new GgufFormatException($"model file '{fileName}' has '{Key(k)}' = {v}");
            return (int)v;
        }

        int embedding = Required(GgufNames.EmbeddingLength);
        int heads = Required(GgufNames.HeadCount);
        int kvHeads = m.Contains(Key(GgufNames.HeadCountKv)) ? Required(GgufNames.HeadCountKv) : heads;
        if (heads % kvHeads != 0) throw new GgufFormatException($"model file '{fileName}': head count {heads} is not a multiple of kv head count {kvHeads}");
        int headDim = (int)m.GetInt64OrDefault(Key(GgufNames.KeyLength), embedding / heads);
        // As llama.cpp reads them (llama-model.cpp, llama-context.cpp): the type defaults to linear; "none" never scales.
        string scaling = m.GetStringOrDefault(Key(GgufNames.RopeScalingType), "linear")!;
        float scaleFactor = (float)m.GetDoubleOrDefault(Key(GgufNames.RopeScalingFactor), m.GetDoubleOrDefault(Key(GgufNames.RopeScaleLinear), 0.0));
        if (scaling is not ("none" or "linear" or "yarn"))
            throw new NotSupportedException($"model file '{fileName}' uses rope scaling '{scaling}', which Wafer does not support yet; supported: none, linear, yarn");
        float freqScale = scaling == "none" || scaleFactor == 0 ? 1.0f : 1.0f / scaleFactor;
        int contextLength = Required(GgufNames.ContextLength);
        int ropeDims = (int)m.GetInt64OrDefault(Key(GgufNames.RopeDimensionCount), headDim);
        float freqBase = (float)m.GetDoubleOrDefault(Key(GgufNames.RopeFreqBase), 10000.0);
        var yarn = Yarn(scaling, freqScale, ropeDims, freqBase, (int)m.GetInt64OrDefault(Key(GgufNames.RopeScalingOriginalContext), contextLength),
            (float)m.GetDoubleOrDefault(Key(GgufNames.RopeScalingAttentionFactor), 1.0));

        int vocab = (int)m.GetInt64OrDefault(Key(GgufNames.VocabSize), 0);
        if (vocab == 0) vocab = m.GetArrayOrDefault<string>(GgufNames.TokenizerTokens)?.Length ?? (int)file.GetTensor(GgufNames.TokenEmbedding).RowCount;

        return new ModelConfig
        {
            Architecture = arch,
            Name = m.GetStringOrDefault(GgufNames.ModelName) ?? System.IO.Path.GetFileNameWithoutExtension(fileName),
            LayerCount = Required(GgufNames.BlockCount),
            EmbeddingLength = embedding,
            FeedForwardLength = Required(GgufNames.FeedForwardLength),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            HeadDim = headDim,
            ContextLength = contextLength,
            VocabSize = vocab,
            RmsEpsilon = (float)m.GetDoubleOrDefault(Key(GgufNames.RmsEpsilon), 1e-5),
            RopeFreqBase = freqBase,
            RopeFreqScale = freqScale,
            RopeYarn = yarn,
            RopeDimensions = ropeDims,
            RopeNeox = arch is "qwen2" or "qwen3",
            HasQkNorm = arch == "qwen3",
        };
    }

    /// <summary>llama.cpp's YaRN parameters for llama, qwen2 and qwen3 (ext_factor 1, beta_fast 32, beta_slow 1, the magnitude
    /// get_mscale(factor) / (1 + 0.1·ln factor) × attn_factor, which ggml multiplies by 1 + 0.1·ln(1/freqScale) again); for other
    /// scaling types only a rope attn_factor other than 1 needs them (a magnitude, no ramp).</summary>
    private static Kernels.Ops.RopeYarn? Yarn(string scaling, float freqScale, int dims, float freqBase, int originalContext, float attentionFactor)
    {
        if (scaling != "yarn") return attentionFactor == 1.0f ? null : new Kernels.Ops.RopeYarn(0, 0, 0, attentionFactor);
        float factor = 1.0f / freqScale;
        float magnitude = factor <= 1.0f ? 1.0f : 0.1f * MathF.Log(factor) + 1.0f;
        magnitude *= 1.0f / (1.0f + 0.1f * MathF.Log(factor));
        magnitude *= attentionFactor;
        var (low, high) = Kernels.Ops.RopeYarn.CorrectionDims(dims, originalContext, freqBase, 32.0f, 1.0f);
        return new Kernels.Ops.RopeYarn(low, high, 1.0f, magnitude);
    }
}
