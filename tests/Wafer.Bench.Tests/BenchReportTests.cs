using System.Buffers.Binary;
using System.IO.Compression;
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
            var (width, height, pixels) = DecodePng(File.ReadAllBytes(png));
            Assert.Equal(1120, width);
            Assert.Equal(width * height * 3 + height, pixels.Length);
            Assert.Contains(pixels, p => p != 0xFF && p != 0); // something was drawn
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

    [Fact]
    public void PngEncode_TwoByTwo_DecodesToSamePixels()
    {
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        var (width, height, raw) = DecodePng(PngEncoder.Encode(rgb, 2, 2));
        Assert.Equal((2, 2), (width, height));
        Assert.Equal([0, .. rgb[..6], 0, .. rgb[6..]], raw);
    }

    [Fact]
    public void AxisScaleLabel_LargeAndSmall_Compact()
    {
        Assert.Equal("1.5k", AxisScale.Label(1500));
        Assert.Equal("250", AxisScale.Label(250));
        Assert.Equal("0.25", AxisScale.Label(0.25));
    }

    // Bit by bit, independent of the encoder's table.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    /// <summary>Checks the signature, IHDR and every chunk's CRC, and inflates the IDAT data (filter bytes included).</summary>
    private static (int Width, int Height, byte[] Raw) DecodePng(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int width = 0, height = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            Assert.Equal(Crc32(png.AsSpan(at + 4, length + 4)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)));
            if (type == "IHDR") (width, height) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]));
            if (type == "IDAT") idat.Write(data);
            at += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        return (width, height, raw.ToArray());
    }
}
