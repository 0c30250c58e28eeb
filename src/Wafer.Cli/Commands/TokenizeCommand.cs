using System.CommandLine;
using System.Text.Json;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer tokenize MODEL (TEXT | --file F)</c>: the token ids as a JSON array, as llama-server's /tokenize.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var text = new Argument<string?>("TEXT") { Description = "Text to tokenize (or use --file)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file", "-f") { Description = "Read the text from this UTF-8 file instead" };
        var addSpecial = new Option<bool>("--add-special") { Description = "Add BOS/EOS as the vocabulary asks (default: no, as /tokenize)" };
        var noParseSpecial = new Option<bool>("--no-parse-special") { Description = "Treat special-token text such as <|im_start|> as plain text" };
        var command = new Command("tokenize", "Print the token ids of a text as a JSON array") { model, text, file, addSpecial, noParseSpecial };
        command.SetAction(r => Run(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(text), r.GetValue(file), r.GetValue(addSpecial), !r.GetValue(noParseSpecial)));
        return command;
    }

    private static int Run(string path, string? text, string? file, bool addSpecial, bool parseSpecial)
    {
        if ((text is null) == (file is null))
            throw new ArgumentException("pass exactly one of TEXT or --file F, e.g. wafer tokenize model.gguf \"Hello world\"");
        if (file is not null && !File.Exists(file)) throw new FileNotFoundException($"text file '{file}' does not exist; check --file", file);
        string input = text ?? File.ReadAllText(file!);
        var tokenizer = Load(path);
        var ids = tokenizer.Encode(input, addSpecial, parseSpecial);
        Console.Out.WriteLine(JsonSerializer.Serialize(ids));
        return 0;
    }

    internal static Tokenizer Load(string path)
    {
        using var gguf = GgufFile.Open(path);
        return Tokenizer.FromMetadata(gguf.Metadata, Path.GetFileName(path));
    }
}
