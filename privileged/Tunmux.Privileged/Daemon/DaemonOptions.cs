namespace Tunmux.Privileged.Daemon;

/// <summary>Options of <c>tunmux privileged --serve</c>.</summary>
public sealed record DaemonOptions
{
    /// <summary>Speak the protocol on stdin/stdout for one client instead of listening on the socket.</summary>
    public bool Stdio { get; init; }

    /// <summary>Started by a client's autostart (enables autostop behaviour).</summary>
    public bool Autostarted { get; init; }

    /// <summary>Group whose members may use the daemon besides root; null means root only.</summary>
    public string? AuthorizedGroup { get; init; }

    /// <summary>Exit after this long without requests, leases or managed work; null means never.</summary>
    public int? IdleTimeoutMs { get; init; }

    public PrivilegedPaths Paths { get; init; } = PrivilegedPaths.FromEnvironment();
}
