using Wafer.Bench.Soak;

namespace Wafer.Bench.Tests.Soak;

/// <summary>Series read from Prometheus text: summed over label sets, names matched whole, comments and timestamps skipped.</summary>
public sealed class PrometheusTextTests
{
    private const string Text = """
        # HELP wafer_requests_total HTTP requests
        # TYPE wafer_requests_total counter
        wafer_requests_total{status="200",model="m"} 40 1700000000000
        wafer_requests_total{status="400"} 2
        wafer_requests_total_extra 1000
        wafer_process_threads{otel_scope_name="Wafer.Process"} 18
        wafer_process_resident_memory_bytes 1.5e8
        """;

    [Theory]
    [InlineData("wafer_requests_total", 42.0)]
    [InlineData("wafer_process_threads", 18.0)]
    [InlineData("wafer_process_resident_memory_bytes", 1.5e8)]
    public void Sum_Series_SumsItsSamples(string name, double expected) => Assert.Equal(expected, PrometheusText.Sum(Text, name));

    [Theory]
    [InlineData("wafer_requests")]
    [InlineData("wafer_kv_cache_blocks_used")]
    public void Sum_NoSuchSeries_Null(string name) => Assert.Null(PrometheusText.Sum(Text, name));
}
