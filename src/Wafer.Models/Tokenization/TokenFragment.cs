namespace Wafer.Models.Tokenization;

/// <summary>A piece of the input after special-token splitting: either raw text (a range of the input) or one token id.</summary>
internal readonly record struct TokenFragment(int TokenId, int Offset, int Length)
{
    /// <summary>True when this fragment is raw text still to be tokenized.</summary>
    public bool IsText => TokenId < 0;

    public static TokenFragment Text(int offset, int length) => new(-1, offset, length);

    public static TokenFragment Token(int id) => new(id, 0, 0);
}
