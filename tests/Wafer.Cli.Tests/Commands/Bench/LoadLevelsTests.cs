using Wafer.Bench;
using Wafer.Cli.Commands.Bench;

namespace Wafer.Cli.Tests.Commands.Bench;

public class LoadLevelsTests
{
    [Fact]
    public void Levels_SweepOverConcurrency_ClosedLoopLevels() =>
        Assert.Equal([1, 4, 16, 64], BenchServeCommand.Levels(null, null, "1, 4,16,64", "concurrency").Select(l => l.Concurrency!.Value));

    [Fact]
    public void Levels_SweepOverRate_OpenLoopLevels() =>
        Assert.Equal([0.5, 2], BenchServeCommand.Levels(null, null, "0.5,2", "rate").Select(l => l.Rate!.Value));

    [Fact]
    public void Levels_Rate_OneOpenLoopLevel() => Assert.Equal(3.5, Assert.Single(BenchServeCommand.Levels(null, 3.5, null, "concurrency")).Rate);

    [Theory]
    [InlineData(4, 2.0, null)]
    [InlineData(null, null, null)]
    [InlineData(4, null, "1,2")]
    [InlineData(0, null, null)]
    public void Levels_NoneOrSeveralOrInvalid_Throws(int? concurrency, double? rate, string? sweep) =>
        Assert.Throws<ArgumentException>(() => BenchServeCommand.Levels(concurrency, rate, sweep, "concurrency"));

    [Fact]
    public void Levels_SweepNotNumbers_Throws() => Assert.Throws<FormatException>(() => BenchServeCommand.Levels(null, null, "1,x", "concurrency"));

    [Theory]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/")]
    [InlineData("http://host:1/proxy/v1/", "http://host:1/proxy/")]
    public void BaseAddress_WithOrWithoutV1_EndsBeforeV1(string url, string expected) =>
        Assert.Equal(expected, BenchHttpClient.BaseAddress(url).ToString());

    [Fact]
    public void BaseAddress_NotHttp_Throws() => Assert.Throws<ArgumentException>(() => BenchHttpClient.BaseAddress("ftp://x"));
}
