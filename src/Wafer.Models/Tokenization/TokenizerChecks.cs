namespace Wafer.Models.Tokenization;

/// <summary>Consistency checks on tokenizer metadata, with messages that name the file and the keys to fix.</summary>
internal static class TokenizerChecks
{
    public static void RequireSpecial(string fileName, bool add, int id, string addKey, string idKey)
    {
        if (add && id < 0)
            throw new InvalidDataException($"model file '{fileName}' sets tokenizer.ggml.{addKey} but has no valid tokenizer.ggml.{idKey}");
    }
}
