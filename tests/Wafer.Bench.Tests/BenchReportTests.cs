using Wafer.Bench;
using Wafer.Bench.Charts;

namespace Wafer.Bench.Tests;

public class BenchReportTests
{
    /// <summary>A result file as wafer bench serve writes it, for a system whose latency grows with concurrency by <paramref name="slowdown"/>.</summary>
    internal static string WriteResult(string directory, string label, double slowdown)
    {
        var options = new BenchServeOptions
        {
            Url = "http://127.0.0.1:1", Model = "m", RequestCount = 4, Label = label, Slo = new SloOptions(100, 20),
            Levels = [LoadLevel.ClosedLoop(1), LoadLevel.ClosedLoop(4), LoadLevel.ClosedLoop(16)],
        };
        var runs = options.Levels.Select(level =>
        {
            int c = level.Concurrency!.Value;
            var records = Enumerable.Range(0, 4).Select(i => new RequestRecord
            {
                Index = i, StartMs = i, StatusCode = 200, TtftMs = 20 + c * slowdown + i, ItlMs = [5 + c * slowdown / 10, 6 + c * slowdown / 10],
                E2eMs = 40 + c * slowdown, OutputTokens = 3, PromptTokens = 10,
            }).ToList();
            return RunSummary.Compute(new LevelResult(level, records, 0.5), options.Slo);
        }).ToList();
        string path = Path.Combine(directory, label + ".json");
        using (var file = File.Create(path)) BenchResultJson.Write(file, options, DateTimeOffset.UnixEpoch, runs);
        return path;
    }

    [Fact]
    public void HtmlWrite_TwoSystems_TableRowsAndFourInlineCharts()
    {
        string dir = Directory.CreateTempSubdirectory("wafer-report-").FullName;
        try
        {
            var series = new[] { WriteResult(dir, "wafer", 1), WriteResult(dir, "llama<server>", 3) }.Select(BenchSeries.Load).ToList();

            string html = HtmlReportWriter.Write(series, DateTimeOffset.UnixEpoch);

            Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
            Assert.Equal(4, html.Split("<svg ").Length - 1);
            Assert.Equal(1 + 6, html.Split("<tr>").Length - 1); // header + 2 systems × 3 levels
            Assert.Contains("llama&lt;server&gt;", html, StringComparison.Ordinal);
            Assert.DoesNotContain("llama<server>", html, StringComparison.Ordinal);
            Assert.Contains("<td>c=16</td>", html, StringComparison.Ordinal);
            Assert.Contains("Throughput vs latency", html, StringComparison.Ordinal);
            Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal); // self-contained
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BenchReport_TwoFiles_WritesHtmlAndValidPng()
    {
        string dir = Directory.CreateTempSubdirectory("wafer-report-").FullName;
        try
        {
            string a = WriteResult(dir, "wafer", 1), b = WriteResult(dir, "vllm", 2);
            string html = Path.Combine(dir, "r.html"), png = Path.Combine(dir, "r.png");

            var r = WaferProcess.Run("bench", "report", a, b, "--html", html, "--png", png);

            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Contains("vllm", r.StdOut, StringComparison.Ordinal);
            Assert.Contains("<svg", File.ReadAllText(html), StringComparison.Ordinal);
            // Four charts, two per row, drawn by ScottPlot: a 1120 × 680 PNG with more than the background in it.
            using var bitmap = SkiaSharp.SKBitmap.Decode(File.ReadAllBytes(png));
            Assert.Equal((1120, 680), (bitmap.Width, bitmap.Height));
            var colors = new HashSet<uint>();
            for (int y = 0; y < bitmap.Height; y += 4)
                for (int x = 0; x < bitmap.Width; x += 4) colors.Add((uint)bitmap.GetPixel(x, y));
            Assert.True(colors.Count > 20, $"{colors.Count} colours: nothing was drawn");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BenchReport_NotAResultFile_OneLineError()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"hello\": 1}");
            var r = WaferProcess.Run("bench", "report", path);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("is not a result of wafer bench serve --json", r.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
