using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wafer.Router.Discovery;

/// <summary>One discovered replica: <see cref="Id"/> (ADDRESS:PORT) names it inside its group; <see cref="Url"/> is its base address.</summary>
public sealed record Replica(string Id, string Url)
{
    /// <summary>The replica at <paramref name="address"/> (an IP address or a host name) and <paramref name="port"/>.</summary>
    public static Replica At(string scheme, string address, int port)
    {
        string host = IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : address;
        string id = $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
        return new Replica(id, $"{scheme}://{id}");
    }

    /// <summary>The set in a stable order, without duplicates (an endpoint can sit in two slices while they change).</summary>
    public static IReadOnlyList<Replica> Normalize(IEnumerable<Replica> replicas) =>
        [.. replicas.DistinctBy(r => r.Id).OrderBy(r => r.Id, StringComparer.Ordinal)];
}

/// <summary>Finds a group's replicas and reports every change of the set.</summary>
public interface IReplicaSource
{
    /// <summary>Runs until <paramref name="ct"/> is cancelled: calls <paramref name="found"/> with the whole set each time it
    /// changes (first once it is known), and <paramref name="failed"/> with a one-line reason when a lookup fails (the last
    /// set stays in force; the source tries again).</summary>
    Task RunAsync(Action<IReadOnlyList<Replica>> found, Action<string> failed, CancellationToken ct);

    /// <summary>For logs and /health: e.g. "kubernetes service wafer/wafer-serve".</summary>
    string Describe();
}
