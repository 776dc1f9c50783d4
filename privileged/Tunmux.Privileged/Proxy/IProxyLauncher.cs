namespace Tunmux.Privileged.Proxy;

/// <summary>What the tunnel code asks of the proxy runtime for one proxy-mode instance.</summary>
public sealed record ProxyLaunchSpec(
    string Instance,
    string Namespace,
    int SocksPort,
    int HttpPort,
    bool AccessLog,
    string? Username = null,
    string? Password = null);

/// <summary>Starts and stops the per-instance proxy process.</summary>
public interface IProxyLauncher
{
    /// <summary>Starts the proxy for an instance whose namespace is up; returns its PID once it accepts connections.</summary>
    Task<int> StartAsync(ProxyLaunchSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops the instance's proxy if it runs; idempotent.</summary>
    Task StopAsync(string instance, CancellationToken cancellationToken);
}
