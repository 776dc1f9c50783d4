namespace Tunmux.Privileged.Proxy;

/// <summary>What the tunnel code asks of the proxy runtime for one proxy-mode instance.</summary>
/// <param name="Namespace">The named network namespace; empty for an exit whose <see cref="IProxyEntry"/> enters it another way (rootless).</param>
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

/// <summary>
/// How the launcher starts the proxy program inside its exit's namespace: as the daemon does
/// (a named namespace, then nobody), or into a rootless exit's namespaces as the user.
/// </summary>
public interface IProxyEntry
{
    /// <summary>Fails early, with a one-line reason, when the namespace is not there.</summary>
    void Check(ProxyLaunchSpec spec);

    /// <summary>The file to spawn and its whole argument vector (argv[0] included) that run <paramref name="program"/> inside.</summary>
    (string File, IReadOnlyList<string> Argv) Command(ProxyLaunchSpec spec, string program, IReadOnlyList<string> programArgs);
}
