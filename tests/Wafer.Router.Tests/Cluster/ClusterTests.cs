using Wafer.Router.Tests.Support;

namespace Wafer.Router.Tests.Cluster;

/// <summary>Three real <c>wafer serve</c> replicas of stories260K behind a real <c>wafer route</c> process.</summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    private static async Task<(List<WaferServerProcess> Replicas, WaferServerProcess Router, string ConfigPath)> StartAsync(string route)
    {
        Fixtures.Path("models/stories260K.gguf");
        var replicas = (await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => WaferServerProcess.ServeAsync("--alias", "stories")))).ToList();
        string config = Configs.Router(replicas.Select((r, i) => Configs.Backend($"r{i}", r.Url, "\"stories\"")), [route],
            "\"health\": {\"probeIntervalMs\": 200, \"probeTimeoutMs\": 500}");
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, config);
        try
        {
            return (replicas, await WaferServerProcess.RouteAsync(path), path);
        }
        catch
        {
            foreach (var r in replicas) await r.DisposeAsync();
            throw;
        }
    }

    private static async Task StopAsync(List<WaferServerProcess> replicas, WaferServerProcess router, string path)
    {
        await router.DisposeAsync();
        foreach (var r in replicas) await r.DisposeAsync();
        File.Delete(path);
    }

    /// <summary>Four workers sending streaming and non-streaming completions through the router until
    /// <c>wantAfter</c> requests succeeded after <see cref="MarkKilled"/> (or the generous bound passed).</summary>
    /// <remarks>Steps wait for counts of answered requests, not for time, so a busy machine only makes the test slower.</remarks>
    private sealed class SteadyLoad
    {
        private readonly CancellationTokenSource _bound = new(Wait.Generous);
        private List<Task> _workers = [];
        private int _ok;
        private int _okAfter;
        private int _killed;

        public System.Collections.Concurrent.ConcurrentBag<(LoadClient.Outcome Outcome, bool Stream, bool AfterKill)> Outcomes { get; } = [];

        /// <summary>Requests answered so far.</summary>
        public int Ok => Volatile.Read(ref _ok);

        /// <summary>Whether a worker stopped (the bound passed, or enough requests succeeded after the kill).</summary>
        public bool Ended => _workers.Any(t => t.IsCompleted);

        public static SteadyLoad Start(WaferServerProcess router, int wantAfter)
        {
            var load = new SteadyLoad();
            load._workers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (int i = 0; Volatile.Read(ref load._okAfter) < wantAfter && !load._bound.IsCancellationRequested; i++)
                {
                    bool stream = (i + w) % 2 == 0;
                    string body = $"{{\"model\":\"stories\",\"prompt\":\"Once upon a time {w} {i}\",\"max_tokens\":24,\"stream\":{(stream ? "true" : "false")}}}";
                    var outcome = await LoadClient.SendAsync(router.Http, "v1/completions", body, stream);
                    bool late = Volatile.Read(ref load._killed) == 1;
                    load.Outcomes.Add((outcome, stream, late));
                    if (outcome.Ok) Interlocked.Increment(ref load._ok);
                    if (outcome.Ok && late) Interlocked.Increment(ref load._okAfter);
                }
            }))];
            return load;
        }

        /// <summary>From now on, answers count as after the kill.</summary>
        public void MarkKilled() => Volatile.Write(ref _killed, 1);

        public async Task EndAsync()
        {
            await Task.WhenAll(_workers);
            _bound.Dispose();
        }
    }

    [Fact]
    public async Task KillNine_OneReplicaUnderSteadyLoad_NoRequestThatHadNotStartedStreamingFails()
    {
        var (replicas, router, path) = await StartAsync(Configs.Route("stories", ["r0", "r1", "r2"], "least-outstanding"));
        try
        {
            // Steps wait for counts of answered requests, not for time: the kill comes once the cluster has served
            // some traffic, and the load stops once enough requests succeeded after it (or at the generous bound).
            int wantBefore = BenchScale.Requests(8), wantAfter = BenchScale.Requests(12);
            var load = SteadyLoad.Start(router, wantAfter);
            await Wait.UntilAsync(() => load.Ok >= wantBefore || load.Ended, "the cluster never answered its first requests");
            replicas[1].KillHard();
            load.MarkKilled();
            await load.EndAsync();
            var outcomes = load.Outcomes;

            var failed = outcomes.Where(o => !o.Outcome.Ok).ToList();
            var afterKill = outcomes.Count(o => o.AfterKill && o.Outcome.Ok);
            Report.Line(output, $"kill -9 under load: {outcomes.Count} requests (4 workers, kill after {wantBefore} answered, until {wantAfter} answered after it), {failed.Count} failed, all after streaming had started: {failed.All(f => f.Outcome.Started)}; {afterKill} succeeded after the kill; router retries {await router.MetricAsync("wafer_router_retries_total")}");
            Assert.All(failed, f => Assert.True(f.Stream && f.Outcome.Started, $"a request failed before anything was streamed to it: {f.Outcome.Body}"));
            Assert.True(failed.Count <= 4, $"{failed.Count} streams broke; at most the 4 in flight on the killed replica may");
            Assert.True(afterKill >= wantAfter, $"only {afterKill} requests succeeded after the kill within {Wait.Generous.TotalSeconds:0} s");
            Assert.Contains("\"name\":\"r1\"", await router.Http.GetStringAsync("health"));
        }
        finally
        {
            await StopAsync(replicas, router, path);
        }
    }

    [Fact]
    public async Task Discovery_ReplicaAddedAndOneKilledWhileRequestsFlow_NoRequestThatHadNotStartedStreamingFails()
    {
        // The router finds the replicas in a loopback fake of the Kubernetes EndpointSlice API: two at first, a third
        // added under load, then one killed with kill -9 and marked not ready, as the endpoints controller would.
        Fixtures.Path("models/stories260K.gguf");
        var replicas = (await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => WaferServerProcess.ServeAsync("--alias", "stories")))).ToList();
        await using var api = await FakeKubernetesApi.StartAsync("wafer", "wafer-serve");
        api.SetSlice("s0", replicas[0].Url.Port, ("127.0.0.1", true));
        api.SetSlice("s1", replicas[1].Url.Port, ("127.0.0.1", true));
        string config = """
            {"backends": [{"name": "serve", "models": ["stories"], "discover": {"kubernetes": {"service": "wafer-serve", "namespace": "wafer", "portName": "http", "apiServer": "API"}}}],
             "routes": [{"model": "stories", "backends": ["serve"], "policy": "least-outstanding"}],
             "health": {"probeIntervalMs": 200, "probeTimeoutMs": 500}}
            """.Replace("API", api.Url.ToString(), StringComparison.Ordinal);
        string path = Path.Combine(Path.GetTempPath(), $"wafer-router-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, config);
        WaferServerProcess? router = null;
        try
        {
            router = await WaferServerProcess.RouteAsync(path);
            string Name(int i) => $"serve/127.0.0.1:{replicas[i].Url.Port}";
            await Wait.UntilAsync(() => router.Http.GetStringAsync("health").Result.Contains("\"replicas\":2", StringComparison.Ordinal), "the router never discovered the two replicas");

            int wantBefore = BenchScale.Requests(8), wantAfter = BenchScale.Requests(12);
            var load = SteadyLoad.Start(router, wantAfter);
            var outcomes = load.Outcomes;
            await Wait.UntilAsync(() => load.Ok >= wantBefore || load.Ended, "the cluster never answered its first requests");
            Assert.DoesNotContain(outcomes, o => o.Outcome.Backend == Name(2));
            api.SetSlice("s2", replicas[2].Url.Port, ("127.0.0.1", true));
            await Wait.UntilAsync(() => outcomes.Any(o => o.Outcome.Ok && o.Outcome.Backend == Name(2)) || load.Ended, "the added replica never served a request");
            replicas[1].KillHard();
            load.MarkKilled();
            api.SetSlice("s1", replicas[1].Url.Port, ("127.0.0.1", false));
            await load.EndAsync();

            var failed = outcomes.Where(o => !o.Outcome.Ok).ToList();
            var byBackend = outcomes.Where(o => o.Outcome.Ok).GroupBy(o => o.Outcome.Backend).ToDictionary(g => g.Key ?? "?", g => g.Count());
            string health = await router.Http.GetStringAsync("health");
            Report.Line(output, $"discovery under load: {outcomes.Count} requests, {failed.Count} failed (all after streaming had started: {failed.All(f => f.Outcome.Started)}); answered by {string.Join(", ", byBackend.Select(kv => $"{kv.Key} {kv.Value}"))}; discovery lists {api.Lists}, watches {api.WatchesOpened}");
            Assert.All(failed, f => Assert.True(f.Stream && f.Outcome.Started, $"a request failed before anything was streamed to it: {f.Outcome.Body}"));
            Assert.True(failed.Count <= 4, $"{failed.Count} streams broke; at most the 4 in flight on the killed replica may");
            Assert.True(byBackend.ContainsKey(Name(2)), "the replica added by discovery served requests");
            Assert.True(outcomes.Count(o => o.AfterKill && o.Outcome.Ok) >= wantAfter, "requests succeeded after the kill");
            await Wait.UntilAsync(() => !router.Http.GetStringAsync("health").Result.Contains(Name(1), StringComparison.Ordinal), "the killed replica stayed in the router's backends after it was marked not ready");
            health = await router.Http.GetStringAsync("health");
            Assert.Contains(Name(0), health, StringComparison.Ordinal);
            Assert.Contains(Name(2), health, StringComparison.Ordinal);
        }
        finally
        {
            if (router != null) await router.DisposeAsync();
            foreach (var r in replicas) await r.DisposeAsync();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task PrefixAffinity_SharedSystemPrompt_OneReplicaServesAndHitsItsPrefixCache()
    {
        var (replicas, router, path) = await StartAsync(Configs.Route("stories", ["r0", "r1", "r2"], "prefix-affinity", "\"prefixChars\": 200"));
        try
        {
            string shared = string.Concat(Enumerable.Repeat("Lily and Tom went to the park to play with a big red ball. ", 5));
            var backends = new List<string?>();
            for (int i = 0; i < 8; i++)
            {
                string body = $"{{\"model\":\"stories\",\"prompt\":\"{shared}Then number {i} said\",\"max_tokens\":4}}";
                var outcome = await LoadClient.SendAsync(router.Http, "v1/completions", body, stream: false);
                Assert.True(outcome.Ok, outcome.Body);
                backends.Add(outcome.Backend);
            }
            string owner = Assert.Single(backends.Distinct())!;
            var hits = await Task.WhenAll(replicas.Select(r => r.MetricAsync("wafer_prefix_cache_hits_total")));
            Report.Line(output, $"prefix affinity: 8 requests sharing a {shared.Length}-char prefix all went to {owner}; wafer_prefix_cache_hits_total per replica: {string.Join(", ", hits)}");
            int ownerIndex = int.Parse(owner[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(hits[ownerIndex] > 0, "the owner's prefix cache was hit");
            Assert.Equal(0, hits.Where((_, i) => i != ownerIndex).Sum());
        }
        finally
        {
            await StopAsync(replicas, router, path);
        }
    }
}
