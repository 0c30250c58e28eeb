using Wafer.Models.Gguf;

namespace Wafer.Models.Architectures;

/// <summary>The gated activation of a feed-forward block: act(gate) ⊙ up.</summary>
public enum FeedForwardActivation
{
    /// <summary>SiLU (SwiGLU).</summary>
    SwiGlu,
    /// <summary>GELU, tanh approximation, through ggml's F16 table (GeGLU).</summary>
    GeGlu,
}

/// <summary>Hyper-parameters of a decoder-only transformer, read from GGUF metadata.</summary>
public sealed record ModelConfig
{
    /// <summary>Architectures Wafer can run.</summary>
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["llama", "qwen2", "qwen3", "gemma2", "gemma3", "phi3"];

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
    /// <summary>True when the model has per-head RMSNorm on q and k (Qwen3, Gemma 3).</summary>
    public required bool HasQkNorm { get; init; }

    /// <summary>The feed-forward block's gated activation: SiLU (SwiGLU: llama, qwen, phi3) or tanh-approximated GELU (GeGLU: gemma).</summary>
    public FeedForwardActivation Activation { get; init; } = FeedForwardActivation.SwiGlu;

    /// <summary>Factor on the token embeddings before the first layer (√embd for gemma, else 1).</summary>
    public float EmbeddingScale { get; init; } = 1.0f;

    private readonly float? _attentionScale;

    /// <summary>Factor on q·k before the softmax: 1/√headDim unless the architecture says otherwise (gemma's query_pre_attn_scalar).</summary>
    public float AttentionScale { get => _attentionScale ?? 1.0f / MathF.Sqrt(HeadDim); init => _attentionScale = value; }

    /// <summary>Attention scores are soft-capped as cap·tanh(s/cap) before the softmax (gemma2: 50); 0 for none.</summary>
    public float AttentionSoftCap { get; init; }

    /// <summary>Output logits are soft-capped as cap·tanh(l/cap) (gemma2: 30); 0 for none.</summary>
    public float FinalSoftCap { get; init; }

    /// <summary>Positions a sliding-window layer's token sees (itself included: key positions p − window &lt; k ≤ p); 0 when no layer slides.</summary>
    public int SlidingWindow { get; init; }

    /// <summary>Which layers use <see cref="SlidingWindow"/> (gemma2: every other one, gemma3: five of six); empty when none.</summary>
    public IReadOnlyList<bool> SlidingLayers { get; init; } = [];

    /// <summary>Rope frequency base of the sliding-window layers (gemma3: 10000 while the global layers use rope.freq_base).</summary>
    public float RopeFreqBaseSliding { get; init; } = 10000.0f;

    /// <summary>Rope frequency scale of the sliding-window layers (llama.cpp gives them no linear scaling of their own: 1).</summary>
    public float RopeFreqScaleSliding { get; init; } = 1.0f;

    /// <summary>True when layer <paramref name="layer"/> attends over a sliding window.</summary>
    public bool IsSliding(int layer) => SlidingWindow > 0 && layer < SlidingLayers.Count && SlidingLayers[layer];

    /// <summary>The window of layer <paramref name="layer"/>: <see cref="SlidingWindow"/> for a sliding layer, else 0 (the whole sequence).</summary>
    public int WindowOf(int layer) => IsSliding(layer) ? SlidingWindow : 0;

    /// <summary>Rope frequency base of layer <paramref name="layer"/>.</summary>
    public float RopeFreqBaseOf(int layer) => IsSliding(layer) ? RopeFreqBaseSliding : RopeFreqBase;

    /// <summary>Rope frequency scale of layer <paramref name="layer"/>.</summary>
    public float RopeFreqScaleOf(int layer) => IsSliding(layer) ? RopeFreqScaleSliding : RopeFreqScale;

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
        int layers = Required(GgufNames.BlockCount);
        var family = Family.Of(file, arch, layers, embedding, heads, headDim, freqBase, freqScale);
        if (family.SlidingWindow > 0 && yarn != null && family.RopeFreqBaseSliding != freqBase)
            throw new NotSupportedException($"model file '{fileName}' combines YaRN rope scaling with a separate rope base for its sliding-window layers, which Wafer does not support yet");

        return new ModelConfig
        {
            Architecture = arch,
            Name = m.GetStringOrDefault(GgufNames.ModelName) ?? System.IO.Path.GetFileNameWithoutExtension(fileName),
            LayerCount = layers,
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
            RopeNeox = arch is "qwen2" or "qwen3" or "gemma2" or "gemma3" or "phi3",
            HasQkNorm = arch is "qwen3" or "gemma3",
            Activation = family.Activation,
            EmbeddingScale = family.EmbeddingScale,
            AttentionScale = family.AttentionScale ?? 1.0f / MathF.Sqrt(headDim),
            AttentionSoftCap = family.AttentionSoftCap,
            FinalSoftCap = family.FinalSoftCap,
            SlidingWindow = family.SlidingWindow,
            SlidingLayers = family.SlidingLayers,
            RopeFreqBaseSliding = family.RopeFreqBaseSliding,
            RopeFreqScaleSliding = family.RopeFreqScaleSliding,
        };
    }

    /// <summary>What sets an architecture apart from llama's block, read as llama.cpp v0.5.0 reads it (src/models/gemma2.cpp,
    /// gemma3.cpp, phi3.cpp: load_arch_hparams).</summary>
    private sealed record Family
    {
        public FeedForwardActivation Activation { get; init; } = FeedForwardActivation.SwiGlu;
        public float EmbeddingScale { get; init; } = 1.0f;
        public float? AttentionScale { get; init; }
        public float AttentionSoftCap { get; init; }
        public float FinalSoftCap { get; init; }
        public int SlidingWindow { get; init; }
        public bool[] SlidingLayers { get; init; } = [];
        public float RopeFreqBaseSliding { get; init; } = 10000.0f;
        public float RopeFreqScaleSliding { get; init; } = 1.0f;

        public static Family Of(GgufFile file, string arch, int layers, int embedding, int heads, int headDim, float freqBase, float freqScale)
        {
            var m = file.Metadata;
            string fileName = System.IO.Path.GetFileName(file.Path);
            string Key(string k) => $"{arch}.{k}";
            float Float(string k, float fallback) => (float)m.GetDoubleOrDefault(Key(k), fallback);
            switch (arch)
            {
                case "gemma2":
                {
                    // Gemma 2: every other layer slides (window 4096 unless given), both soft-caps on, the sliding layers keep the
                    // model's rope unless rope.freq_base_swa says otherwise.
                    return new Family
                    {
                        Activation = FeedForwardActivation.GeGlu,
                        EmbeddingScale = MathF.Sqrt(embedding),
                        AttentionScale = GemmaAttentionScale(layers == 46, embedding, heads, headDim),
                        AttentionSoftCap = Float(GgufNames.AttentionLogitSoftCap, 50.0f),
                        FinalSoftCap = Float(GgufNames.FinalLogitSoftCap, 30.0f),
                        SlidingWindow = Window(m, Key(GgufNames.SlidingWindow), 4096, fileName),
                        SlidingLayers = Pattern(m, Key(GgufNames.SlidingWindowPattern), layers, 2, fileName),
                        RopeFreqBaseSliding = Float(GgufNames.RopeFreqBaseSliding, freqBase),
                        RopeFreqScaleSliding = freqScale,
                    };
                }
                case "gemma3":
                {
                    // Gemma 3: five of six layers slide when a window is given, with rope base 10000 (rope.freq_base_swa) and
                    // no linear scaling; no attention soft-cap; a final soft-cap only when the file asks for one.
                    int window = Window(m, Key(GgufNames.SlidingWindow), 0, fileName);
                    return new Family
                    {
                        Activation = FeedForwardActivation.GeGlu,
                        EmbeddingScale = MathF.Sqrt(embedding),
                        AttentionScale = GemmaAttentionScale(layers == 62, embedding, heads, headDim),
                        FinalSoftCap = Float(GgufNames.FinalLogitSoftCap, 0.0f),
                        SlidingWindow = window,
                        SlidingLayers = window > 0 ? Pattern(m, Key(GgufNames.SlidingWindowPattern), layers, 6, fileName) : [],
                        RopeFreqBaseSliding = Float(GgufNames.RopeFreqBaseSliding, 10000.0f),
                        RopeFreqScaleSliding = 1.0f,
                    };
                }
                case "phi3":
                    // llama.cpp turns Phi-3's sliding window off (llama.cpp#13676), so a window in the file is not applied here either.
                    if (file.TryGetTensor(GgufNames.RopeFactorsLong, out _) || file.TryGetTensor(GgufNames.RopeFactorsShort, out _))
                        throw new NotSupportedException($"model file '{fileName}' is a long-context Phi-3 (rope_factors_long/short: LongRoPE), which Wafer does not support yet; the 4k-context Phi-3 models load");
                    return new Family();
                default:
                    return new Family();
            }
        }

        /// <summary>gemma_pytorch's query_pre_attn_scalar: 1/√(embd/heads) for the 27B models, else 1/√headDim.</summary>
        private static float GemmaAttentionScale(bool is27B, int embedding, int heads, int headDim) =>
            is27B ? 1.0f / MathF.Sqrt(embedding / heads) : 1.0f / MathF.Sqrt(headDim);

        private static int Window(GgufMetadata m, string key, int fallback, string fileName)
        {
            long window = m.GetInt64OrDefault(key, fallback);
            if (window < 0 || window > int.MaxValue) throw new GgufFormatException($"model file '{fileName}' has '{key}' = {window}");
            return (int)window;
        }

        /// <summary>Which layers slide: an array of one flag per layer, or a period n (layer l slides unless l % n = n − 1; 0: all slide).</summary>
        private static bool[] Pattern(GgufMetadata m, string key, int layers, int fallback, string fileName)
        {
            object? value = m.GetValueOrDefault(key);
            if (value is Array array)
            {
                if (array.Length != layers) throw new GgufFormatException($"model file '{fileName}' has '{key}' with {array.Length} entries for {layers} layers");
                var flags = new bool[layers];
                for (int l = 0; l < layers; l++)
                    flags[l] = array.GetValue(l) switch
                    {
                        bool b => b,
                        var v and (sbyte or byte or short or ushort or int or uint or long or ulong) => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) != 0,
                        var v => throw new GgufFormatException($"model file '{fileName}' has '{key}' holding {v?.GetType().Name}, expected bools"),
                    };
                return flags;
            }
            long period = value == null ? fallback : m.GetInt64OrDefault(key, fallback);
            if (period < 0 || period > int.MaxValue) throw new GgufFormatException($"model file '{fileName}' has '{key}' = {period}");
            var pattern = new bool[layers];
            for (int l = 0; l < layers; l++) pattern[l] = period == 0 || l % period < period - 1;
            return pattern;
        }
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
