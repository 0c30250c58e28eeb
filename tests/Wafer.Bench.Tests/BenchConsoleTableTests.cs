using System.Text.Json;
using Spectre.Console;
using Wafer.Bench;

namespace Wafer.Bench.Tests;

public class BenchConsoleTableTests
{
    private static RequestRecord Ok(int index, bool reconnected) => new()
    {
        Index = index, StartMs = index, StatusCode = 200, TtftMs = 20, ItlMs = [5], E2eMs = 25, OutputTokens = 2, PromptTokens = 10, Reconnected = reconnected,
    };

    private static readonly BenchServeOptions Options = new() { Url = "http://127.0.0.1:1", Model = "m", RequestCount = 4, Levels = [LoadLevel.ClosedLoop(2)] };

    private static RunSummary Run() => RunSummary.Compute(new LevelResult(LoadLevel.ClosedLoop(2), [Ok(0, false), Ok(1, true), Ok(2, true), Ok(3, false)], 1),
        new SloOptions(null, null));

    private static JsonElement WrittenRun()
    {
        using var stream = new MemoryStream();
        BenchResultJson.Write(stream, Options, DateTimeOffset.UnixEpoch, [Run()]);
        return JsonDocument.Parse(stream.ToArray()).RootElement.GetProperty("runs")[0].Clone();
    }

    private static string Render(BenchRunRow row, int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = width;
        console.Write(BenchConsoleTable.Build([new BenchSeries("s", "", [row])], width));
        return text.ToString();
    }

    [Fact]
    public void Write_TwoReconnectedRequests_RunCountAndRequestFlags()
    {
        var run = WrittenRun();

        Assert.Equal(2, run.GetProperty("reconnects").GetInt32());
        Assert.Equal(0, run.GetProperty("errors").GetInt32());
        Assert.Equal([false, true, true, false], run.GetProperty("requests").EnumerateArray().Select(q => q.GetProperty("reconnected").GetBoolean()));
        Assert.Equal(2, BenchRunRow.Parse(run).Reconnects);
    }

    [Fact]
    public void Parse_FileWithoutReconnects_Null()
    {
        var run = WrittenRun();
        var old = JsonDocument.Parse(JsonSerializer.Serialize(run.EnumerateObject().Where(p => p.Name != "reconnects").ToDictionary(p => p.Name, p => p.Value)));

        Assert.Null(BenchRunRow.Parse(old.RootElement).Reconnects);
    }

    [Theory]
    [InlineData(BenchConsoleTable.WideColumns)]
    [InlineData(100)]
    public void Build_AnyWidth_ReconnColumnShowsCountOrDash(int width)
    {
        var row = BenchRunRow.From(Run());

        string table = Render(row, width);
        string unknown = Render(row with { Reconnects = null }, width);

        Assert.Contains("reconn", table, StringComparison.Ordinal);
        Assert.Matches(@"c=2\s*│?\s*4\s*│?\s*0\s*│?\s*2\s", table);
        Assert.Matches(@"c=2\s*│?\s*4\s*│?\s*0\s*│?\s*–\s", unknown);
    }
}
