using Wafer.Kernels.Quantization;
using Wafer.Models.Gguf;

namespace Wafer.Models.Architectures;

/// <summary>Reads small 1-D tensors (norm weights, biases) into F32 arrays.</summary>
internal static class VectorLoader
{
    public static float[] Load(GgufFile file, string name, int length)
    {
        var info = file.GetTensor(name);
        if (info.ElementCount != length)
            throw new GgufFormatException($"model file '{System.IO.Path.GetFileName(file.Path)}': tensor '{name}' has {info.ElementCount} elements, expected {length}");
        var values = new float[length];
        TensorTypes.Get(info.Type).Dequantize(file.Data(info), values);
        return values;
    }
}
