using System.Net;

namespace Tunmux.Privileged.Proxy.Dns;

/// <summary>Turns a host name asked of the proxy into addresses, through the tunnel's DNS.</summary>
public interface IHostResolver
{
    /// <summary>The addresses of <paramref name="host"/>, in the order to try; throws <see cref="HostResolutionException"/>.</summary>
    ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>A name that does not resolve (<see cref="NotFound"/>) or whose lookup failed (server failure, timeout).</summary>
public sealed class HostResolutionException(string host, bool notFound, string reason)
    : Exception($"cannot resolve {host}: {reason}")
{
    public bool NotFound { get; } = notFound;
}
