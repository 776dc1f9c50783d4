namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>
/// Where a user's rootless exits keep their state: under the user's own runtime folder
/// (<c>$TUNMUX_USER_RUNTIME_DIR</c>, else <c>$XDG_RUNTIME_DIR/tunmux</c>, else <c>/tmp/tunmux-$UID</c>,
/// chosen by the host), in <c>rootless/</c>: the records, proxy PID files and logs, the managed PIDs, and
/// one folder per exit (the WireGuard control socket folder, the tunnel's resolv.conf, the outside link's log).
/// </summary>
public sealed class RootlessPaths(string userRuntimeDir)
{
    public string UserRuntimeDir { get; } = userRuntimeDir;
    public string Root => Path.Combine(UserRuntimeDir, "rootless");

    /// <summary>The daemon's file layout, rooted in the user's folder, so the shared steps and the proxy launcher find their files.</summary>
    public PrivilegedPaths Shared => new(Root, Root);

    public string ExitsDir => Path.Combine(Root, "exits");
    public string ExitDir(string instance) => Path.Combine(ExitsDir, instance);

    /// <summary>Bind-mounted over <c>/run/wireguard</c> inside the exit: wireguard-go's control socket lives here.</summary>
    public string UapiDir(string instance) => Path.Combine(ExitDir(instance), "wireguard");

    /// <summary>Bind-mounted over <c>/etc/resolv.conf</c> inside the exit: the tunnel's DNS.</summary>
    public string ResolvConf(string instance) => Path.Combine(ExitDir(instance), "resolv.conf");

    public string HolderLog(string instance) => Path.Combine(ExitDir(instance), "namespace.log");
    public string OutsideLog(string instance) => Path.Combine(ExitDir(instance), "outside.log");
}
