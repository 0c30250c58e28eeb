using System.Net.Http.Headers;
using System.Text.Json;

namespace Wafer.Bench.Soak;

/// <summary>Runs a soak: a closed loop of mixed requests for the whole duration while the server's <c>/metrics</c> is sampled,
/// then waits for the server to return to idle and judges the run.</summary>
/// <remarks>
/// Step 1: resolve the model (the first of <c>/v1/models</c> unless given).
/// Step 2: read the server at idle (the baseline of its request count and KV blocks).
/// Step 3: keep <see cref="SoakOptions.Concurrency"/> requests in flight until the duration has passed, sampling every interval.
/// Step 4: wait for the last requests, then for the server to settle (nothing running, KV blocks back, every request counted).
/// Step 5: judge (<see cref="SoakVerdict"/>).
/// </remarks>
internal sealed class SoakRunner(SoakOptions options, HttpClient http, HttpClient fresh, TimeProvider time)
{
    private readonly Uri _base = BenchHttpClient.BaseAddress(options.Url);
    private readonly List<ServerSample> _samples = [];

    public SoakTally Tally { get; } = new();

    /// <summary>The samples taken under load so far (a copy).</summary>
    public IReadOnlyList<ServerSample> Samples()
    {
        lock (_samples) return [.. _samples];
    }

    public async Task<SoakRun> RunAsync(Action<ServerSample>? onSample, CancellationToken cancellationToken)
    {
        var startedUtc = time.GetUtcNow();
        // Step 1
        string model = options.Model ?? await FirstModelAsync(cancellationToken).ConfigureAwait(false);
        var client = new SoakClient(http, fresh, _base, model, options.ApiKey, options.RequestTimeout);
        // Step 2
        long start = time.GetTimestamp();
        var idleStart = await ScrapeAsync(start, cancellationToken).ConfigureAwait(false);
        if (idleStart.Error != null) throw new HttpRequestException($"cannot read {new Uri(_base, "metrics")}: {idleStart.Error}");
        // Step 3
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = SampleAsync(start, onSample, stopSampling.Token);
        var workers = Enumerable.Range(0, options.Concurrency).Select(i => Task.Run(() => WorkAsync(client, start, i, cancellationToken), cancellationToken)).ToArray();
        // Step 4
        await Task.WhenAll(workers).ConfigureAwait(false);
        await stopSampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var idleEnd = await SettleAsync(start, idleStart, cancellationToken).ConfigureAwait(false);
        // Step 5
        var load = Samples();
        var verdict = SoakVerdict.Evaluate(Tally, load, idleStart, idleEnd, options.WarmupShare);
        return new SoakRun(model, startedUtc, time.GetElapsedTime(start), Tally, load, idleStart, idleEnd, verdict);
    }

    private async Task WorkAsync(SoakClient client, long start, int worker, CancellationToken cancellationToken)
    {
        var random = new Random(unchecked(options.Seed * 1_000_003 + worker)); // not HashCode.Combine: it is salted per process
        while (time.GetElapsedTime(start) < options.Duration)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var kind = SoakRequestKinds.Draw(random, options.CancelShare, options.BadShare);
            Tally.Record(await client.SendAsync(kind, random, options.MaxTokens, options.MaxPromptWords, cancellationToken).ConfigureAwait(false));
        }
    }

    private async Task SampleAsync(long start, Action<ServerSample>? onSample, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.SampleInterval, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var sample = await ScrapeAsync(start, CancellationToken.None).ConfigureAwait(false);
            lock (_samples) _samples.Add(sample);
            onSample?.Invoke(sample);
        }
    }

    /// <summary>Polls until nothing runs or waits, the KV blocks are back to their idle count and every answered request is counted;
    /// the last reading either way.</summary>
    private async Task<ServerSample> SettleAsync(long start, ServerSample idleStart, CancellationToken cancellationToken)
    {
        long since = time.GetTimestamp();
        while (true)
        {
            var sample = await ScrapeAsync(start, cancellationToken).ConfigureAwait(false);
            if (sample.Error == null && Settled(sample, idleStart)) return sample;
            if (time.GetElapsedTime(since) >= options.SettleTimeout) return sample;
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Settled(ServerSample now, ServerSample idleStart) =>
        now[SoakMetric.Running] is null or 0 && now[SoakMetric.Waiting] is null or 0
        && (now[SoakMetric.KvBlocksUsed] is not double used || idleStart[SoakMetric.KvBlocksUsed] is not double before || used <= before)
        && (now.CountedSince(idleStart) is not long counted || counted >= Tally.ReachedServer);

    private async Task<ServerSample> ScrapeAsync(long start, CancellationToken cancellationToken)
    {
        double seconds = time.GetElapsedTime(start).TotalSeconds;
        try
        {
            using var request = Get("metrics");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            using var response = await fresh.SendAsync(request, timeout.Token).ConfigureAwait(false);
            string text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return new ServerSample(seconds, new Dictionary<string, double>(), $"/metrics answered {(int)response.StatusCode}");
            return ServerSample.Parse(seconds, text);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new ServerSample(seconds, new Dictionary<string, double>(), e.Message);
        }
    }

    private async Task<string> FirstModelAsync(CancellationToken cancellationToken)
    {
        using var request = Get("v1/models");
        using var response = await fresh.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (response.IsSuccessStatusCode && doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
                && data.GetArrayLength() > 0 && data[0].TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } name)
                return name;
        }
        catch (JsonException)
        {
        }
        throw new ArgumentException($"{new Uri(_base, "v1/models")} answered {(int)response.StatusCode} without a model; pass --model NAME");
    }

    private HttpRequestMessage Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, path));
        if (!string.IsNullOrEmpty(options.ApiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        return request;
    }
}
