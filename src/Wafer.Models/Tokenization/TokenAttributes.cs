namespace Wafer.Models.Tokenization;

/// <summary>Per-token attribute flags, with llama.cpp's <c>llama_token_attr</c> bit values.</summary>
[Flags]
public enum TokenAttributes
{
    /// <summary>No known type (GGUF token type 0 or out of range).</summary>
    Undefined = 0,
    /// <summary>The unknown token (&lt;unk&gt;).</summary>
    Unknown = 1 << 0,
    /// <summary>A reserved slot that is never produced.</summary>
    Unused = 1 << 1,
    /// <summary>An ordinary piece of text.</summary>
    Normal = 1 << 2,
    /// <summary>A control token such as &lt;s&gt; or &lt;|im_end|&gt;.</summary>
    Control = 1 << 3,
    /// <summary>A token added by the model author, matched before ordinary tokenization.</summary>
    UserDefined = 1 << 4,
    /// <summary>A byte-fallback token &lt;0xXX&gt;.</summary>
    Byte = 1 << 5,
    /// <summary>Normalized (unused by llama.cpp's tokenizers).</summary>
    Normalized = 1 << 6,
    /// <summary>Whitespace to the left of the token is absorbed when it is split out as special.</summary>
    LStrip = 1 << 7,
    /// <summary>Whitespace to the right of the token is absorbed when it is split out as special.</summary>
    RStrip = 1 << 8,
    /// <summary>Single-word token (unused by llama.cpp's tokenizers).</summary>
    SingleWord = 1 << 9,
}
