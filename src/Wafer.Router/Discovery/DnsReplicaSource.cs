using System.Net;
using System.Net.Sockets;
using Wafer.Router.Configuration;

namespace Wafer.Router.Discovery;

/// <summary>Replicas from DNS: every address <see cref="DnsDiscoveryConfig.Host"/> resolves to, resolved again each interval.</summary>
/// <remarks>A headless Service answers with the addresses of its ready pods, and with "no such host" when none is ready: that
/// is an empty set, while any other failure (a timeout, a server failure) keeps the last set.</remarks>
public sealed class DnsReplicaSource(DnsDiscoveryConfig config, string scheme, TimeProvider time, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null) : IReplicaSource
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

    public string Describe() => $"dns {config.Host}:{config.Port}";

    public async Task RunAsync(Action<IReadOnlyList<Replica>> found, Action<string> failed, CancellationToken ct)
    {
        IReadOnlyList<Replica>? last = null;
        while (!ct.IsCancellationRequested)
        {
            IReadOnlyList<Replica>? now = null;
            try
            {
                var addresses = await _resolve(config.Host, ct).ConfigureAwait(false);
                now = Replica.Normalize(addresses.Select(a => Replica.At(scheme, (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).ToString(), config.Port)));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.HostNotFound)
            {
                now = [];
            }
            catch (SocketException e)
            {
                failed($"resolving {config.Host} failed: {e.Message}");
            }
            if (now != null && (last == null || !now.SequenceEqual(last)))
            {
                last = now;
                found(now);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(config.IntervalMs), time, ct).ConfigureAwait(false);
        }
    }
}
