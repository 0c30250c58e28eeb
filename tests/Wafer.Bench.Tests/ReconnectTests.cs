using System.Net.Sockets;
using System.Text.Json;
using Wafer.Bench;
using Wafer.Bench.Tests.Support;
using Fate = Wafer.Bench.Tests.Support.KeepAliveClosingServer.Fate;

namespace Wafer.Bench.Tests;

public class ReconnectTests
{
    [Theory]
    [InlineData(nameof(Fate.CloseOnReuse), 1)]
    [InlineData(nameof(Fate.CloseOnReuse), 4)]
    [InlineData(nameof(Fate.ResetOnReuse), 1)]
    [InlineData(nameof(Fate.ResetOnReuse), 4)]
    public async Task RunLevel_ServerClosesKeptAliveConnections_RetriesEachOnceWithoutErrors(string fate, int concurrency)
    {
        await using var server = new KeepAliveClosingServer(Enum.Parse<Fate>(fate));
        using var http = BenchHttpClient.Create(concurrency);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(concurrency), 12, outputTokens: 3), http);

        Assert.Equal(0, run.Errors);
        Assert.Equal(12, run.RequestsCompleted);
        Assert.Equal(12, server.AnsweredCount);
        // Every request the server dropped on a kept-alive connection was retried once, and nothing else was.
        Assert.True(server.ClosedOnReuseCount > 0, "the client's pool never reused a connection, so nothing was tested");
        Assert.Equal(server.ClosedOnReuseCount, run.Reconnects);
        Assert.Equal(run.Reconnects, run.Result.Records.Count(r => r.Reconnected));
        Assert.All(run.Result.Records, r => Assert.Equal(3, r.OutputTokens));
    }

    [Fact]
    public async Task RunLevel_ServerClosesEveryConnectionAfterItsAnswer_NoErrors()
    {
        await using var server = new KeepAliveClosingServer(Fate.CloseAfterAnswer);
        using var http = BenchHttpClient.Create(4);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(4), 16, outputTokens: 3), http);

        // Whether the client met a closed connection (and retried) or saw the close first is timing; that no request fails is not.
        Assert.Equal(0, run.Errors);
        Assert.Equal(16, run.RequestsCompleted);
        Assert.Equal(16, server.AnsweredCount);
    }

    [Fact]
    public async Task BenchServe_ServerClosesKeptAliveConnections_ReportsReconnectsInJsonAndConsole()
    {
        await using var server = new KeepAliveClosingServer(Fate.CloseOnReuse);
        string json = Path.Combine(Path.GetTempPath(), $"wafer-bench-{Guid.NewGuid():N}.json");
        try
        {
            var r = await Task.Run(() => WaferProcess.Run("bench", "serve", "--url", server.Url, "--model", "fake", "--requests", "8", "--concurrency", "1",
                "--prompt-tokens", "10", "--output-tokens", "3", "--warmup", "0", "--json", json), TestContext.Current.CancellationToken);

            Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken));
            var run = doc.RootElement.GetProperty("runs")[0];
            Assert.Equal(0, run.GetProperty("errors").GetInt32());
            Assert.True(server.ClosedOnReuseCount > 0, "the client's pool never reused a connection, so nothing was tested");
            Assert.Equal(server.ClosedOnReuseCount, run.GetProperty("reconnects").GetInt32());
            Assert.Equal(server.ClosedOnReuseCount, run.GetProperty("requests").EnumerateArray().Count(q => q.GetProperty("reconnected").GetBoolean()));
            Assert.Contains("reconn", r.StdOut, StringComparison.Ordinal);
            Assert.Contains($"concurrency 1: reconnects {server.ClosedOnReuseCount}:", r.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task RunLevel_ServerResetsAfterHeaders_CountsStreamErrorsWithoutRetry()
    {
        await using var server = new KeepAliveClosingServer(Fate.ResetAfterHeaders);
        using var http = BenchHttpClient.Create(2);

        var run = await BenchTestKit.RunAsync(BenchTestKit.Options(server.Url, LoadLevel.ClosedLoop(2), 6, outputTokens: 3), http);

        Assert.Equal(new Dictionary<string, int> { ["stream_error"] = 6 }, run.ErrorsByStatus);
        Assert.Equal(0, run.Reconnects);
        Assert.Equal(6, server.ResetAfterHeadersCount);
        Assert.All(run.Result.Records, r =>
        {
            Assert.Equal(200, r.StatusCode);
            Assert.False(r.Reconnected);
        });
    }

    public static TheoryData<string, HttpRequestException> ClosedBeforeResponse => new()
    {
        { "EOF where the status line belongs", new HttpRequestException(HttpRequestError.ResponseEnded, "An error occurred while sending the request.",
            new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely.")) },
        { "reset while waiting", Wrapped(SocketError.ConnectionReset) },
        { "aborted", Wrapped(SocketError.ConnectionAborted) },
        { "broken pipe while writing", Wrapped(SocketError.Shutdown) },
    };

    public static TheoryData<string, HttpRequestException> NotClosedBeforeResponse => new()
    {
        { "refused", new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)", new SocketException((int)SocketError.ConnectionRefused)) },
        { "reset while connecting", new HttpRequestException(HttpRequestError.ConnectionError, "Connection reset", new SocketException((int)SocketError.ConnectionReset)) },
        { "unknown host", new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known", new SocketException((int)SocketError.HostNotFound)) },
        { "garbage status line", new HttpRequestException(HttpRequestError.InvalidResponse, "The server returned an invalid or unrecognized response.") },
        { "other I/O failure", Wrapped(SocketError.TimedOut) },
    };

    [Theory]
    [MemberData(nameof(ClosedBeforeResponse))]
    public void IsClosedBeforeResponse_ServerClosedWrittenConnection_True(string why, HttpRequestException e) =>
        Assert.True(OpenAiStreamingSender.IsClosedBeforeResponse(e), why);

    [Theory]
    [MemberData(nameof(NotClosedBeforeResponse))]
    public void IsClosedBeforeResponse_ConnectFailureOrBadAnswer_False(string why, HttpRequestException e) =>
        Assert.False(OpenAiStreamingSender.IsClosedBeforeResponse(e), why);

    // What SocketsHttpHandler throws when the socket fails under a written request: an IOException around the SocketException.
    private static HttpRequestException Wrapped(SocketError error) => new(HttpRequestError.Unknown, "An error occurred while sending the request.",
        new IOException("Unable to read data from the transport connection.", new SocketException((int)error)));
}
