using System.CommandLine;
using System.Globalization;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer template MODEL --messages F.json</c>: the prompt a chat template renders, exactly as llama-server's /apply-template.</summary>
internal static class TemplateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var messages = new Option<string>("--messages") { Description = "JSON file: an array of {role, content}, or {\"messages\": […], \"tools\": […]}", Required = true };
        var template = new Option<string?>("--template")
        {
            Description = $"A .jinja FILE or a built-in NAME ({string.Join(", ", ChatTemplateResolver.BuiltInNames)}); default: the model's own, else chatml",
        };
        var date = new Option<string?>("--date") { Description = "Render date YYYY-MM-DD for strftime_now/date_string (default: today, UTC)" };
        var noGenerationPrompt = new Option<bool>("--no-generation-prompt") { Description = "Do not open an assistant turn at the end" };
        var command = new Command("template", "Print the prompt a chat template renders for a conversation (no newline added)")
        {
            model, messages, template, date, noGenerationPrompt,
        };
        command.SetAction(r => Run(ModelNames.Resolve(r.GetValue(model)!), r.GetValue(messages)!, r.GetValue(template), r.GetValue(date), !r.GetValue(noGenerationPrompt)));
        return command;
    }

    private static int Run(string path, string messagesPath, string? templateArgument, string? dateText, bool addGenerationPrompt)
    {
        var now = ParseDate(dateText);
        var conversation = MessagesFile.Load(messagesPath);
        using var gguf = GgufFile.Open(path);
        string fileName = Path.GetFileName(path);
        var tokenizer = Tokenizer.FromMetadata(gguf.Metadata, fileName);
        var template = templateArgument is null ? ChatTemplateResolver.FromModel(gguf.Metadata, fileName) : ChatTemplateResolver.Resolve(templateArgument);
        var context = new ChatTemplateContext
        {
            Messages = conversation.Messages,
            Tools = conversation.Tools,
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = tokenizer.BosTokenId >= 0 ? tokenizer.TokenText(tokenizer.BosTokenId) : string.Empty,
            EosToken = tokenizer.EosTokenId >= 0 ? tokenizer.TokenText(tokenizer.EosTokenId) : string.Empty,
            TokenizerAddsBos = tokenizer.AddBos,
            TokenizerAddsEos = tokenizer.AddEos,
            Now = now,
        };
        string prompt;
        try
        {
            prompt = LlamaCppChatFormatter.Apply(template, context);
        }
        catch (TemplateException e)
        {
            string origin = templateArgument ?? $"the chat template of '{fileName}'";
            throw new InvalidDataException($"rendering '{messagesPath}' with {Quote(origin, templateArgument)} failed: {e.Message}", e);
        }

        RawStdout.Write(prompt);
        return 0;
    }

    private static string Quote(string origin, string? templateArgument) => templateArgument is null ? origin : $"'{origin}'";

    private static DateTimeOffset ParseDate(string? text)
    {
        if (text is null) return DateTimeOffset.UtcNow;
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            throw new ArgumentException($"--date '{text}' is not a date; use YYYY-MM-DD, e.g. --date 2026-11-23");
        return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    }
}
