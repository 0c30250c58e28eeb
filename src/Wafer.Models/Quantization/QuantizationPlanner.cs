using Wafer.Kernels;
using Wafer.Kernels.Quantization;
using Wafer.Models.Gguf;

namespace Wafer.Models.Quantization;

/// <summary>Chooses each tensor's type as llama-quantize does (<c>llama_tensor_get_type</c> in llama-quant.cpp, without imatrix or overrides).</summary>
/// <remarks>
/// Step 1: only 2-D tensors whose name ends in "weight" are quantized; norms, biases and 1-D tensors are copied.
/// Step 2: output.weight (or token_embd.weight when the output is tied) gets Q8_0 when its rows are not a multiple
/// of the default type's block, else Q6_K unless the default is Q8_0.
/// Step 3: for Q4_K_M, attn_v.weight and ffn_down.weight get Q6_K in the layers <see cref="UseMoreBits"/> picks.
/// Step 4: a type whose block does not divide the row falls back (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0,
/// Q2_K/Q3_K/IQ4_XS → IQ4_NL, any other → F16), then to F16 if the row is still not a whole number of blocks.
/// </remarks>
public sealed class QuantizationPlanner
{
    private readonly QuantizationScheme _scheme;
    private readonly bool _hasOutput;
    private readonly int _attentionVCount, _feedForwardDownCount;
    private int _attentionVIndex, _feedForwardDownIndex;

    /// <summary>Prepares a plan for the tensors of <paramref name="tensors"/> (call <see cref="Choose"/> in file order).</summary>
    public QuantizationPlanner(QuantizationScheme scheme, IReadOnlyList<GgufTensorInfo> tensors)
    {
        _scheme = scheme;
        _hasOutput = tensors.Any(t => t.Name == GgufNames.Output);
        _attentionVCount = tensors.Count(t => t.Name.EndsWith("attn_v.weight", StringComparison.Ordinal));
        _feedForwardDownCount = tensors.Count(t => t.Name.EndsWith("ffn_down.weight", StringComparison.Ordinal));
    }

    /// <summary>Tensors the fallback of Step 4 changed so far.</summary>
    public int FallbackCount { get; private set; }

    /// <summary>llama.cpp's <c>use_more_bits</c>: the first and last eighth of the layers and every third one between.</summary>
    public static bool UseMoreBits(int index, int count) =>
        index < count / 8 || index >= 7 * count / 8 || (index - count / 8) % 3 == 2;

    /// <summary>The type <paramref name="tensor"/> is written in (its own type when it is not quantized).</summary>
    public GgmlType Choose(GgufTensorInfo tensor)
    {
        // Step 1
        bool quantize = tensor.Name.EndsWith("weight", StringComparison.Ordinal) && tensor.Dimensions.Length >= 2
            && !tensor.Name.Contains("_norm.weight", StringComparison.Ordinal);
        if (!quantize) return tensor.Type;
        var type = _scheme.DefaultType;
        if (TensorTypes.BlockSize(type) == 1) return type; // F16: no per-tensor rules (llama.cpp only applies them to quantized types)
        long columns = tensor.Dimensions[0];

        // Step 2 and 3
        if (tensor.Name == GgufNames.Output || (!_hasOutput && tensor.Name == GgufNames.TokenEmbedding))
            type = columns % TensorTypes.BlockSize(type) != 0 ? GgmlType.Q8_0 : type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        else if (tensor.Name.EndsWith("attn_v.weight", StringComparison.Ordinal))
        {
            if (_scheme.IsQ4KM && UseMoreBits(_attentionVIndex, _attentionVCount)) type = GgmlType.Q6_K;
            _attentionVIndex++;
        }
        else if (tensor.Name.EndsWith("ffn_down.weight", StringComparison.Ordinal))
        {
            if (_scheme.IsQ4KM && UseMoreBits(_feedForwardDownIndex, _feedForwardDownCount)) type = GgmlType.Q6_K;
            _feedForwardDownIndex++;
        }

        // Step 4
        if (columns % TensorTypes.BlockSize(type) != 0)
        {
            type = type switch
            {
                GgmlType.Q4_K => GgmlType.Q5_0,
                GgmlType.Q5_K => GgmlType.Q5_1,
                GgmlType.Q6_K => GgmlType.Q8_0,
                GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.IQ4_XS => GgmlType.IQ4_NL,
                _ => GgmlType.F16,
            };
            if (columns % TensorTypes.BlockSize(type) != 0) type = GgmlType.F16;
            FallbackCount++;
        }
        return type;
    }
}
