namespace Wafer.Models.Tokenization;

/// <summary>The text holds something the model's vocabulary cannot represent (a SentencePiece vocabulary without the byte
/// token it would fall back to). The input's fault, not the server's: the HTTP edge answers 400.</summary>
public sealed class UntokenizableTextException(string message) : ArgumentException(message);
