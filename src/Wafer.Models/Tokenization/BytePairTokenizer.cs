using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>Byte-level BPE tokenizer (GGUF "gpt2").</summary>
internal sealed class BytePairTokenizer
{
    public static Tokenizer Create(GgufMetadata metadata, string fileName) => throw new NotSupportedException(fileName);
}
