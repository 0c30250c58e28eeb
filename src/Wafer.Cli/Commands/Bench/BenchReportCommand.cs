using System.CommandLine;
using Spectre.Console;
using Wafer.Bench;
using Wafer.Bench.Charts;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench report A.json B.json … [--html FILE] [--png FILE]</c>: compares benchmark results side by side.</summary>
internal static class BenchReportCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILES") { Description = "Result files written by wafer bench serve --json", Arity = ArgumentArity.OneOrMore };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML page (table and SVG charts) to this file" };
        var png = new Option<string?>("--png") { Description = "Write the charts as one PNG image to this file" };
        var command = new Command("report", "Compare benchmark results side by side: a table, and charts as HTML or PNG") { files, html, png };
        command.SetAction(r => Run(r.GetValue(files)!, r.GetValue(html), r.GetValue(png)));
        return command;
    }

    private static int Run(string[] files, string? htmlPath, string? pngPath)
    {
        var series = files.Select(BenchSeries.Load).ToList();
        var console = AnsiConsole.Console;
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = Math.Max(console.Profile.Width, 200);
        console.Write(BenchConsoleTable.Build(series, console.Profile.Width));
        if (htmlPath != null)
        {
            File.WriteAllText(htmlPath, HtmlReportWriter.Write(series, TimeProvider.System.GetUtcNow()));
            console.MarkupLine(Markup.Escape($"wrote {htmlPath}"));
        }
        if (pngPath != null)
        {
            File.WriteAllBytes(pngPath, ChartImages.Png(BenchCharts.Build(series)));
            console.MarkupLine(Markup.Escape($"wrote {pngPath}"));
        }
        return 0;
    }
}
