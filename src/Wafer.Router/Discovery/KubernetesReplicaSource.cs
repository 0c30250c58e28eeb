using k8s;
using k8s.Autorest;
using k8s.Models;
using Wafer.Router.Configuration;

namespace Wafer.Router.Discovery;

/// <summary>Replicas from the EndpointSlices of one Service, through the Kubernetes API (list, then watch from the list's version).</summary>
/// <remarks>
/// Step 1: list the slices labelled <c>kubernetes.io/service-name=SERVICE</c>; publish their ready endpoints.
/// Step 2: watch from the list's resourceVersion; each added, modified or deleted slice publishes the new set (when it changed).
/// Step 3: a watch the server ends (its timeout) is resumed from the last version seen; an error event (410 Gone: the
/// version is too old) or a failed call goes back to step 1 after a backoff (1 s doubling to 30 s), keeping the last set.
/// An endpoint counts while its <c>ready</c> condition is not false (unknown is ready, as the API says).
/// </remarks>
public sealed class KubernetesReplicaSource(KubernetesDiscoveryConfig config, string scheme, TimeProvider time) : IReplicaSource
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    public string Describe() => $"kubernetes service {(config.Namespace != null ? config.Namespace + "/" : "")}{config.Service}";

    public async Task RunAsync(Action<IReadOnlyList<Replica>> found, Action<string> failed, CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        IReadOnlyList<Replica>? last = null;
        int quiet = 0;
        void Publish(IReadOnlyDictionary<string, V1EndpointSlice> slices)
        {
            var now = Endpoints(slices.Values);
            if (last != null && now.SequenceEqual(last)) return;
            last = now;
            found(now);
        }

        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (settings, ns) = Connection(config);
                using var client = new Kubernetes(settings);
                string selector = $"kubernetes.io/service-name={config.Service}";
                // Step 1
                var list = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false);
                var slices = (list.Items ?? []).Where(s => s.Metadata?.Name != null).ToDictionary(s => s.Metadata.Name, StringComparer.Ordinal);
                string? version = list.Metadata?.ResourceVersion;
                Publish(slices);
                backoff = TimeSpan.FromSeconds(1);
                // Steps 2 and 3: watch, resuming from the last version while watches deliver events.
                bool resume = true;
                while (resume && !ct.IsCancellationRequested)
                {
                    bool gone = false;
                    int events = 0;
                    try
                    {
                        await foreach (var (type, slice) in client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(ns, labelSelector: selector,
                            resourceVersion: version, allowWatchBookmarks: true, timeoutSeconds: 290, onError: _ => gone = true, cancellationToken: ct).ConfigureAwait(false))
                        {
                            if (type == WatchEventType.Error || slice?.Metadata == null)
                            {
                                gone = true;
                                break;
                            }
                            events++;
                            version = slice.Metadata.ResourceVersion ?? version;
                            if (type == WatchEventType.Bookmark) continue;
                            if (type == WatchEventType.Deleted) slices.Remove(slice.Metadata.Name);
                            else slices[slice.Metadata.Name] = slice;
                            Publish(slices);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
                    {
                        // The watch's connection ended uncleanly: like an end, resumed below.
                    }
                    // An error event (410 Gone) or a watch that delivered nothing goes back to the list; the same again
                    // without any event in between waits the backoff first, so a misbehaving server is not hammered.
                    resume = !gone && events > 0;
                    if (!resume && ++quiet >= 2) await Task.Delay(backoff, time, ct).ConfigureAwait(false);
                    if (events > 0) quiet = 0;
                }
                continue;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failed($"{Describe()}: {Reason(e)}; retrying in {backoff.TotalSeconds:0} s");
            }
            await Task.Delay(backoff, time, ct).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    /// <summary>The ready endpoints of <paramref name="slices"/> on the configured port.</summary>
    internal IReadOnlyList<Replica> Endpoints(IEnumerable<V1EndpointSlice> slices)
    {
        var replicas = new List<Replica>();
        foreach (var slice in slices)
        {
            int? port = PortOf(slice);
            if (port == null) continue;
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                if (endpoint.Conditions?.Ready == false || endpoint.Addresses is not { Count: > 0 }) continue;
                replicas.Add(Replica.At(scheme, endpoint.Addresses[0], port.Value));
            }
        }
        return Replica.Normalize(replicas);
    }

    private int? PortOf(V1EndpointSlice slice)
    {
        var ports = slice.Ports ?? [];
        if (config.Port is { } number) return ports.Count == 0 || ports.Any(p => p.Port == number) ? number : null;
        if (config.PortName is { } name) return ports.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))?.Port;
        return ports.Count == 1 ? ports[0].Port : null;
    }

    /// <summary>The API's address and credentials, and the namespace to watch.</summary>
    private static (KubernetesClientConfiguration Settings, string Namespace) Connection(KubernetesDiscoveryConfig config)
    {
        var settings = config.ApiServer != null ? new KubernetesClientConfiguration { Host = config.ApiServer }
            : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile();
        return (settings, config.Namespace ?? settings.Namespace ?? "default");
    }

    private static string Reason(Exception e) => e switch
    {
        HttpOperationException h => $"the API answered {(int)h.Response.StatusCode} {h.Response.ReasonPhrase} ({h.Response.Content?.Split('\n')[0]})",
        k8s.Exceptions.KubeConfigException => $"not in a cluster and no usable kubeconfig ({e.Message}); set discover.kubernetes.apiServer",
        _ => e.Message,
    };
}
