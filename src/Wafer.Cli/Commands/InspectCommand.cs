using System.CommandLine;
using Spectre.Console;
using Wafer.Models.Gguf;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer inspect MODEL</c>: metadata and a tensor table.</summary>
internal static class InspectCommand
{
    private const int MaxValueChars = 120;

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var command = new Command("inspect", "Print a GGUF file's metadata and tensor table") { model };
        command.SetAction(r => Run(ModelNames.Resolve(r.GetValue(model)!)));
        return command;
    }

    private static int Run(string path)
    {
        using var file = GgufFile.Open(path);
        var console = AnsiConsole.Console;
        console.MarkupLine($"[bold]{Markup.Escape(Path.GetFileName(path))}[/]: GGUF v{file.Version}, {file.FileBytes:N0} bytes, {file.Metadata.Count} metadata keys, {file.Tensors.Count} tensors, alignment {file.Alignment}");
        var meta = new Table().AddColumns("key", "type", "value");
        foreach (var e in file.Metadata.Entries)
            meta.AddRow(Markup.Escape(e.Key), e.Type.ToString(), Markup.Escape(Describe(e.Value)));
        console.Write(meta);
        var tensors = new Table().AddColumns(new TableColumn("name"), new TableColumn("type"), new TableColumn("shape"), new TableColumn("bytes").RightAligned());
        long total = 0;
        foreach (var t in file.Tensors)
        {
            tensors.AddRow(Markup.Escape(t.Name), t.Type.ToString(), Markup.Escape($"[{string.Join(", ", t.Dimensions)}]"), t.ByteCount.ToString("N0"));
            total += t.ByteCount;
        }
        tensors.AddRow("[bold]total[/]", "", "", $"[bold]{total:N0}[/]");
        console.Write(tensors);
        return 0;
    }

    private static string Describe(object value)
    {
        string text = value switch
        {
            string s => s,
            Array a => $"[{a.Length} items] {string.Join(", ", a.Cast<object>().Take(8))}{(a.Length > 8 ? ", …" : "")}",
            _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
        text = text.ReplaceLineEndings("⏎");
        return text.Length > MaxValueChars ? text[..MaxValueChars] + "…" : text;
    }
}
