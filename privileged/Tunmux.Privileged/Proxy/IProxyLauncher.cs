namespace Tunmux.Privileged.Proxy;

/// <summary>What the tunnel code asks of the proxy runtime for one proxy-mode instance.</summary>
/// <param name="MaxConnections">Connections relayed at once; past it clients are refused politely.</param>
public sealed record ProxyLaunchSpec(
    string Instance,
    string Namespace,
    int SocksPort,
    int HttpPort,
    bool AccessLog,
    string? Username = null,
    string? Password = null,
    int MaxConnections = 4096)
{
    /// <summary>Who may connect (checked by the proxy for every connection); null means root alone.</summary>
    public Access.ProxyAccessSpec? Access { get; init; }

    /// <summary>Keeps the password out of logs and exception messages.</summary>
    public override string ToString() =>
        $"ProxyLaunchSpec {{ Instance = {Instance}, Namespace = {Namespace}, SocksPort = {SocksPort}, HttpPort = {HttpPort}, "
        + $"AccessLog = {AccessLog}, Username = {Username ?? "-"}, MaxConnections = {MaxConnections}, Access = {Access} }}";
}

/// <summary>Starts and stops the per-instance proxy process.</summary>
public interface IProxyLauncher
{
    /// <summary>Starts the proxy for an instance whose namespace is up; returns its PID once it accepts connections.</summary>
    Task<int> StartAsync(ProxyLaunchSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops the instance's proxy if it runs; idempotent.</summary>
    Task StopAsync(string instance, CancellationToken cancellationToken);
}
