using System.Text;

namespace Wafer.Models.Tokenization;

/// <summary>Decodes a token stream piece by piece, holding back bytes until they complete a UTF-8 character.</summary>
/// <remarks>
/// Pieces are the same bytes <see cref="Tokenizer.Decode"/> concatenates (an SPM word's ▁ is its
/// leading space, as llama-server streams it), so the concatenation of everything
/// <see cref="Append"/> and <see cref="Flush"/> return equals <see cref="Tokenizer.Decode"/> of the same ids.
/// </remarks>
public sealed class IncrementalDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    internal IncrementalDecoder(Tokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Adds one token and returns the text it completes (possibly empty while a character is split across tokens).</summary>
    public string Append(int id) => Convert(_tokenizer.Piece(id), flush: false);

    /// <summary>Ends the stream: returns what is left, with an incomplete trailing character as U+FFFD.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(byte[] bytes, bool flush)
    {
        // The decoder keeps the bytes of an unfinished character internally until the next call.
        int needed = _utf8.GetCharCount(bytes, flush);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int count = _utf8.GetChars(bytes, 0, bytes.Length, _chars, 0, flush);
        return new string(_chars, 0, count);
    }
}
