using System.Globalization;
using Spectre.Console;

namespace Wafer.Cli.Benchmarking;

/// <summary>Renders benchmark rows as one Spectre.Console table, side by side when there are several series.</summary>
internal static class BenchConsoleTable
{
    public static Table Build(IReadOnlyList<BenchSeries> series)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("system");
        table.AddColumn("load");
        foreach (string name in (string[])["ok", "err", "req/s", "out tok/s", "goodput/s",
                     "TTFT mean", "TTFT p50", "TTFT p99", "ITL mean", "ITL p50", "ITL p99", "E2E p50", "E2E p99"])
            table.AddColumn(new TableColumn(name).RightAligned());
        foreach (var s in series)
            foreach (var r in s.Rows)
                table.AddRow(Markup.Escape(s.Label), r.LevelText, Int(r.RequestsCompleted), r.Errors > 0 ? $"[red]{r.Errors}[/]" : "0",
                    F(r.RequestThroughput, "0.00"), F(r.OutputTokenThroughput, "0.0"), r.Goodput is double g ? F(g, "0.00") : "–",
                    Ms(r.TtftMs, r.TtftMs.Mean), Ms(r.TtftMs, r.TtftMs.P50), Ms(r.TtftMs, r.TtftMs.P99),
                    Ms(r.ItlMs, r.ItlMs.Mean), Ms(r.ItlMs, r.ItlMs.P50), Ms(r.ItlMs, r.ItlMs.P99),
                    Ms(r.E2eMs, r.E2eMs.P50), Ms(r.E2eMs, r.E2eMs.P99));
        table.Caption("latencies in ms");
        return table;
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Ms(LatencySummary s, double value) => s.Count == 0 ? "–" : F(value, value < 10 ? "0.00" : "0.0");
}
