using System.Net;

namespace Tunmux.Privileged.Proxy.Dns;

/// <summary>A fixed table of names (literal addresses always work); for tests and benchmarks.</summary>
public sealed class StaticResolver(IReadOnlyDictionary<string, IPAddress[]> table) : IHostResolver
{
    public ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal)) return ValueTask.FromResult<IPAddress[]>([literal]);
        if (table.TryGetValue(host, out var addresses)) return ValueTask.FromResult(addresses);
        throw new HostResolutionException(host, notFound: true, "no such host");
    }
}
