namespace Wafer.Models.Constraints;

/// <summary>A grammar (GBNF text, or a JSON schema turned into one) that cannot be compiled; the message says where and why.</summary>
public sealed class GrammarException(string message) : Exception(message);
