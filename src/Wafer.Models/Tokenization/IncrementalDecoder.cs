using System.Text;

namespace Wafer.Models.Tokenization;

/// <summary>Decodes a token stream piece by piece, holding back bytes until they complete a UTF-8 character.</summary>
/// <remarks>
/// Pieces are the same bytes <see cref="Tokenizer.Decode"/> concatenates (an SPM word's ▁ is its
/// leading space, as llama-server streams it), so the concatenation of everything
/// <see cref="Append"/> and <see cref="Flush"/> return equals <see cref="Tokenizer.Decode"/> of the same ids.
/// While no character is split across tokens (nearly always), a token whose piece is whole UTF-8 returns the tokenizer's
/// cached string for it, so streaming allocates nothing per token.
/// </remarks>
public sealed class IncrementalDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];
    private bool _holding;          // the UTF-8 decoder keeps bytes of an unfinished character
    private uint _tail;             // the last bytes of the stream (the lowest byte last); the low _tailLength (≤ 3) count
    private int _tailLength;

    internal IncrementalDecoder(Tokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Adds one token and returns the text it completes (possibly empty while a character is split across tokens).</summary>
    public string Append(int id)
    {
        var piece = _tokenizer.Piece(id);
        for (int i = Math.Max(0, piece.Length - 3); i < piece.Length; i++) _tail = (_tail << 8) | piece[i];
        _tailLength = Math.Min(3, _tailLength + piece.Length);
        if (!_holding && _tokenizer.PieceString(id) is string whole) return whole; // leaves the decoder with nothing held
        _holding = EndsInsideCharacter(_tail, _tailLength);
        return Convert(piece, flush: false);
    }

    /// <summary>Ends the stream: returns what is left, with an incomplete trailing character as U+FFFD.</summary>
    public string Flush()
    {
        _holding = false;
        _tailLength = 0;
        return Convert([], flush: true);
    }

    private string Convert(byte[] bytes, bool flush)
    {
        // The decoder keeps the bytes of an unfinished character internally until the next call.
        int needed = _utf8.GetCharCount(bytes, flush);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int count = _utf8.GetChars(bytes, 0, bytes.Length, _chars, 0, flush);
        return count == 0 ? "" : new string(_chars, 0, count);
    }

    /// <summary>Whether a stream ending in <paramref name="length"/> (≤ 3) bytes <paramref name="tail"/> ends with a valid but
    /// unfinished UTF-8 sequence (which a UTF-8 decoder holds back): a lead byte followed by fewer continuation bytes than it
    /// announces, each allowed in its place (E0 A0–BF, ED 80–9F, F0 90–BF, F4 80–8F).</summary>
    internal static bool EndsInsideCharacter(uint tail, int length)
    {
        for (int k = 0; k < length; k++) // k = continuation bytes after the candidate lead byte
        {
            byte lead = (byte)(tail >> (8 * k));
            if ((lead & 0xC0) == 0x80) continue;
            int size = lead switch { >= 0xC2 and <= 0xDF => 2, >= 0xE0 and <= 0xEF => 3, >= 0xF0 and <= 0xF4 => 4, _ => 0 };
            if (size == 0 || k + 1 >= size) return false;
            if (k == 0) return true;
            byte second = (byte)(tail >> (8 * (k - 1)));
            return lead switch
            {
                0xE0 => second >= 0xA0,
                0xED => second <= 0x9F,
                0xF0 => second >= 0x90,
                0xF4 => second <= 0x8F,
                _ => true,
            };
        }
        return false;
    }
}
