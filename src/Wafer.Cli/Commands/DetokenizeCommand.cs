using System.CommandLine;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer detokenize MODEL "ID ID …"</c>: the text of token ids, as llama-server's /detokenize.</summary>
internal static class DetokenizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var ids = new Argument<string>("IDS") { Description = "Token ids separated by spaces or commas, e.g. \"15043 3186\" or [15043,3186]" };
        var command = new Command("detokenize", "Print the text of token ids (UTF-8, no newline added)") { model, ids };
        command.SetAction(r => Run(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(ids)!));
        return command;
    }

    private static int Run(string path, string idText)
    {
        var ids = LogitsCommand.ParseIds(idText, "IDS");
        var tokenizer = TokenizeCommand.Load(path);
        foreach (int id in ids)
        {
            if (id >= tokenizer.VocabularySize)
            {
                throw new ArgumentException(
                    $"IDS: token id {id} is outside the vocabulary of '{Path.GetFileName(path)}' (size {tokenizer.VocabularySize}); pass ids from 0 to {tokenizer.VocabularySize - 1}");
            }
        }

        RawStdout.Write(tokenizer.Decode(ids));
        return 0;
    }
}
