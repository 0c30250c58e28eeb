namespace Wafer.Models.Tokenization;

/// <summary>The tokenizer algorithm named by GGUF <c>tokenizer.ggml.model</c>.</summary>
public enum TokenizerKind
{
    /// <summary>"llama": SentencePiece-style score-based merging with byte fallback.</summary>
    SentencePiece,
    /// <summary>"gpt2": byte-level BPE with a regex pre-tokenizer.</summary>
    BytePair,
    /// <summary>"bert": WordPiece, longest match first.</summary>
    WordPiece,
}
