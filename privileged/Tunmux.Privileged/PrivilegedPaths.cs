namespace Tunmux.Privileged;

/// <summary>The one place that knows where the privileged side keeps its files.</summary>
public sealed class PrivilegedPaths
{
    public PrivilegedPaths(string runtimeDir, string stateDir)
    {
        RuntimeDir = runtimeDir;
        StateDir = stateDir;
    }

    /// <summary>From <c>TUNMUX_RUNTIME_DIR</c> and <c>TUNMUX_STATE_DIR</c>, else <c>/run/tunmux</c> and <c>/var/lib/tunmux</c>.</summary>
    public static PrivilegedPaths FromEnvironment() => new(
        NonEmpty(Environment.GetEnvironmentVariable("TUNMUX_RUNTIME_DIR")) ?? "/run/tunmux",
        NonEmpty(Environment.GetEnvironmentVariable("TUNMUX_STATE_DIR")) ?? "/var/lib/tunmux");

    public string RuntimeDir { get; }
    public string StateDir { get; }
    public string SocketPath => Path.Combine(RuntimeDir, "ctl.sock");
    public string ManagedPidsDir => Path.Combine(RuntimeDir, "managed-pids");
    /// <summary>Held while a state-changing operation runs, by whichever daemon or stdio helper runs it.</summary>
    public string MutationLockFile => Path.Combine(RuntimeDir, "mutations.lock");
    public string ProxyDir => Path.Combine(StateDir, "proxy");
    public string ProxyPidFile(string instance) => Path.Combine(ProxyDir, instance + ".pid");
    public string ProxyLogFile(string instance) => Path.Combine(ProxyDir, instance + ".log");
    public string WgDir(string provider) => Path.Combine(StateDir, "wg", provider);
    public string TunnelsDir => Path.Combine(StateDir, "tunnels");
    /// <summary>What each supervised exit needs to heal itself, ranked alternatives' keys included (0600 files, 0700 folder).</summary>
    public string SupervisionDir => Path.Combine(StateDir, "supervision");
    /// <summary>Each exit's own log: what its supervisor saw and did, and its hooks' output.</summary>
    public string ExitLogFile(string instance) => Path.Combine(StateDir, "exits", instance + ".log");
    public string DaemonLogFile => Path.Combine(StateDir, "daemon.log");

    /// <summary>Lockdown and kill-switch state (root only): what the firewall table must hold, across restarts.</summary>
    public string FirewallStateFile => Path.Combine(StateDir, "firewall.json");

    /// <summary>What the firewall table holds now, world-readable (nothing secret) so <c>status</c> needs no daemon.</summary>
    public string FirewallStatusFile => Path.Combine(RuntimeDir, "firewall.json");

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
