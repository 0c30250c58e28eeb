using System.Globalization;
using Spectre.Console;

namespace Wafer.Bench;

/// <summary>Renders benchmark rows as one Spectre.Console table, side by side when there are several series.</summary>
internal static class BenchConsoleTable
{
    public const int WideColumns = 160;

    /// <summary>The table; below <see cref="WideColumns"/> console columns, means and goodput are left out so the rest stays legible.</summary>
    public static Table Build(IReadOnlyList<BenchSeries> series, int consoleWidth = WideColumns)
    {
        bool wide = consoleWidth >= WideColumns;
        var columns = new List<(string Name, Func<BenchRunRow, string> Cell)>
        {
            ("ok", r => Int(r.RequestsCompleted)),
            ("err", r => r.Errors > 0 ? $"[red]{r.Errors}[/]" : "0"),
            // Retries after the server closed a kept-alive connection: not errors, but a sign of the server's keep-alive policy.
            ("reconn", r => r.Reconnects is int n ? n > 0 ? $"[yellow]{n}[/]" : "0" : "–"),
            ("req/s", r => F(r.RequestThroughput, "0.00")),
            ("out tok/s", r => F(r.OutputTokenThroughput, r.OutputTokenThroughput < 100 ? "0.0" : "0")),
        };
        if (wide) columns.Add(("goodput/s", r => r.Goodput is double g ? F(g, "0.00") : "–"));
        if (wide) columns.Add(("TTFT mean", r => Ms(r.TtftMs, r.TtftMs.Mean)));
        columns.Add(("TTFT p50", r => Ms(r.TtftMs, r.TtftMs.P50)));
        columns.Add(("TTFT p99", r => Ms(r.TtftMs, r.TtftMs.P99)));
        if (wide) columns.Add(("ITL mean", r => Ms(r.ItlMs, r.ItlMs.Mean)));
        columns.Add(("ITL p50", r => Ms(r.ItlMs, r.ItlMs.P50)));
        columns.Add(("ITL p99", r => Ms(r.ItlMs, r.ItlMs.P99)));
        if (wide) columns.Add(("E2E p50", r => Ms(r.E2eMs, r.E2eMs.P50)));
        columns.Add(("E2E p99", r => Ms(r.E2eMs, r.E2eMs.P99)));
        // Which KV precision served the requests (wafer serve --adaptive says so per response), when a server said.
        if (series.Any(s => s.Rows.Any(r => r.KvPrecisions.Count > 0)))
            columns.Add(("KV precision", r => r.KvPrecisions.Count == 0 ? "–" : string.Join(" ", r.KvPrecisions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{p.Value}"))));

        var table = new Table().Border(wide ? TableBorder.Rounded : TableBorder.Simple).AddColumn("system").AddColumn("load");
        foreach (var (name, _) in columns) table.AddColumn(new TableColumn(name).RightAligned());
        foreach (var s in series)
            foreach (var r in s.Rows)
                table.AddRow([Markup.Escape(s.Label), r.LevelText, .. columns.Select(c => c.Cell(r))]);
        table.Caption("latencies in ms");
        return table;
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Ms(LatencySummary s, double value) => s.Count == 0 ? "–" : F(value, value < 10 ? "0.00" : value < 100 ? "0.0" : "0");
}
