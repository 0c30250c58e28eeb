namespace Wafer.Models.Gguf;

/// <summary>A GGUF file is truncated, corrupt or uses something Wafer cannot read; the message names the file and the problem.</summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string message) : base(message) { }

    public GgufFormatException(string message, Exception inner) : base(message, inner) { }
}
