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
    /// <summary>Keeps the password out of logs and exception messages.</summary>
    public override string ToString() =>
        $"ProxyLaunchSpec {{ Instance = {Instance}, Namespace = {Namespace}, SocksPort = {SocksPort}, HttpPort = {HttpPort}, "
        + $"AccessLog = {AccessLog}, Username = {Username ?? "-"}, MaxConnections = {MaxConnections} }}";
}

/// <summary>Starts and stops the per-instance proxy process.</summary>
public interface IProxyLauncher
{
    /// <summary>
    /// Starts the proxy for an instance whose namespace is up; returns its PID once it accepts connections.
    /// Started again for the same instance and ports (its supervisor after a crash), it replaces the old process
    /// on the same listening sockets, which the launcher keeps: connections made meanwhile wait in their backlog.
    /// </summary>
    Task<int> StartAsync(ProxyLaunchSpec spec, CancellationToken cancellationToken);

    /// <summary>The instance's proxy PID while that process runs, else null (never started, exited or killed).</summary>
    int? RunningPid(string instance);

    /// <summary>Stops the instance's proxy if it runs; idempotent.</summary>
    Task StopAsync(string instance, CancellationToken cancellationToken);
}
