using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Wafer.Hub;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer ls [--json]</c>: the models on this machine (the Hugging Face cache, an Ollama store, <c>$WAFER_MODELS</c>,
/// the embedded default) with the name that serves each, its quantization, size, source and path.</summary>
internal static class ListCommand
{
    public const string Embedded = "embedded";

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table" };
        var command = new Command("ls", "List the models on this machine (Hugging Face cache, Ollama store, $WAFER_MODELS) and the names that serve them") { json };
        command.SetAction(r => Run(r.GetValue(json)));
        return command;
    }

    private static int Run(bool json)
    {
        var catalog = ModelNames.Catalog();
        var models = catalog.List().ToList();
        if (File.Exists(ServeCommand.DefaultModelPath))
            models.Add(new LocalModelEntry("stories260K", "Q8_0", new FileInfo(ServeCommand.DefaultModelPath).Length, Embedded, [ServeCommand.DefaultModelPath]));
        if (json)
        {
            using var writer = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
            writer.WriteStartArray();
            foreach (var m in models)
            {
                writer.WriteStartObject();
                writer.WriteString("name", m.Name);
                if (m.Quant != null) writer.WriteString("quant", m.Quant);
                else writer.WriteNull("quant");
                writer.WriteNumber("size", m.Size);
                writer.WriteString("source", m.Source);
                writer.WriteString("path", m.Path);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.Flush();
            Console.Out.WriteLine();
            return 0;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumns("NAME", "QUANT", "SIZE", "SOURCE", "PATH");
        foreach (var m in models)
            table.AddRow(Markup.Escape(m.Name), m.Quant ?? "-", Size(m.Size), m.Source, Markup.Escape(m.Path));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        console.Profile.Width = Math.Max(console.Profile.Width, 160);
        console.Write(table);
        Console.Out.WriteLine(models.Count == 0
            ? $"no models yet: pull one with wafer pull org/name:Q4_K_M (cache {catalog.Hub.Root})"
            : $"{models.Count} model(s); serve one with: wafer serve NAME");
        return 0;
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
    };
}
