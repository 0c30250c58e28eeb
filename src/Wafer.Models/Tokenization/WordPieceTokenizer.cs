using Wafer.Models.Gguf;

namespace Wafer.Models.Tokenization;

/// <summary>WordPiece tokenizer (GGUF "bert").</summary>
internal sealed class WordPieceTokenizer
{
    public static Tokenizer Create(GgufMetadata metadata, string fileName) => throw new NotSupportedException(fileName);
}
