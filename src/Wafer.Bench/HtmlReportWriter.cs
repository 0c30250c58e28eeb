using System.Globalization;
using System.Net;
using System.Text;
using Wafer.Bench.Charts;

namespace Wafer.Bench;

/// <summary>Writes a self-contained HTML report: one side-by-side table of every system and load level, and the charts as inline SVG.</summary>
internal static class HtmlReportWriter
{
    private static readonly string[] Headers =
    [
        "system", "load", "ok", "errors", "req/s", "out tok/s", "goodput/s",
        "TTFT mean", "TTFT p50", "TTFT p90", "TTFT p99", "ITL mean", "ITL p50", "ITL p90", "ITL p99", "E2E p50", "E2E p99",
    ];

    public static string Write(IReadOnlyList<BenchSeries> series, DateTimeOffset generatedUtc)
    {
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Wafer serving benchmark</title>
            <style>
            body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}
            th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td.l{text-align:left}
            .charts{display:flex;flex-wrap:wrap;gap:16px;margin-top:24px}.charts svg{border:1px solid #eee}
            </style></head><body>
            <h1>Serving benchmark</h1>

            """);
        html.Append(CultureInfo.InvariantCulture, $"<p>Generated {E(generatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))} by <code>wafer bench report</code> from: ");
        html.Append(string.Join(", ", series.Select(s => $"<code>{E(s.Source)}</code> ({E(s.Label)})"))).Append(". Latencies in milliseconds.</p>\n");
        html.Append("<table>\n<tr>").Append(string.Concat(Headers.Select(h => $"<th>{E(h)}</th>"))).Append("</tr>\n");
        foreach (var s in series)
            foreach (var r in s.Rows) html.Append(Row(s.Label, r));
        html.Append("</table>\n<div class=\"charts\">\n");
        foreach (var chart in BenchCharts.Build(series)) html.Append(ChartImages.Svg(chart)).Append('\n');
        html.Append("</div>\n</body></html>\n");
        return html.ToString();
    }

    private static string Row(string label, BenchRunRow r)
    {
        string[] cells =
        [
            r.LevelText, I(r.RequestsCompleted), I(r.Errors), F(r.RequestThroughput), F(r.OutputTokenThroughput), r.Goodput is double g ? F(g) : "–",
            Ms(r.TtftMs, r.TtftMs.Mean), Ms(r.TtftMs, r.TtftMs.P50), Ms(r.TtftMs, r.TtftMs.P90), Ms(r.TtftMs, r.TtftMs.P99),
            Ms(r.ItlMs, r.ItlMs.Mean), Ms(r.ItlMs, r.ItlMs.P50), Ms(r.ItlMs, r.ItlMs.P90), Ms(r.ItlMs, r.ItlMs.P99),
            Ms(r.E2eMs, r.E2eMs.P50), Ms(r.E2eMs, r.E2eMs.P99),
        ];
        return $"<tr><td class=\"l\">{E(label)}</td>{string.Concat(cells.Select(c => $"<td>{E(c)}</td>"))}</tr>\n";
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Ms(LatencySummary s, double v) => s.Count == 0 ? "–" : v.ToString("0.00", CultureInfo.InvariantCulture);
}
