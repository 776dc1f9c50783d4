using Tunmux.Privileged.Processes;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// The programs and system files the tunnel code uses, in one place so a test can point them at
/// fakes (to check an exact command sequence without root) or at a temporary resolv.conf.
/// Every program is an absolute path from <see cref="SystemPaths"/> (root-owned system folders),
/// never a name the caller's folder or PATH could shadow.
/// </summary>
internal sealed class SystemTools
{
    public string Ip { get; init; } = Absolute("ip");
    public string Wg { get; init; } = Absolute("wg");
    public string WgQuick { get; init; } = Absolute("wg-quick");
    public string Resolvconf { get; init; } = Absolute("resolvconf");
    public string Resolvectl { get; init; } = Absolute("resolvectl");
    public string Nft { get; init; } = Absolute("nft");

    /// <summary>Userspace WireGuard implementations, in order of preference, by the names they install as.</summary>
    public IReadOnlyList<(string Name, string[] Commands)> UserspaceImplementations { get; init; } =
    [
        ("wireguard-go", ["wireguard-go"]),
        ("boringtun", ["boringtun-cli", "boringtun"]),
    ];

    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";

    /// <summary>Where userspace WireGuard implementations put their control (UAPI) sockets.</summary>
    public string WireGuardRunDir { get; init; } = "/var/run/wireguard";

    /// <summary>Where <c>ip netns exec</c> finds per-namespace files (<c>/etc/netns/&lt;ns&gt;/resolv.conf</c>).</summary>
    public string NetnsEtcDir { get; init; } = "/etc/netns";

    /// <summary>Where <c>ip netns add</c> bind-mounts named namespaces.</summary>
    public const string SystemNetnsRunDir = "/run/netns";

    /// <summary>Named namespaces (<see cref="SystemNetnsRunDir"/>; tests point it elsewhere).</summary>
    public string NetnsRunDir { get; init; } = SystemNetnsRunDir;

    /// <summary>The sysctl wg-quick turns on for fwmark routing, restored on down.</summary>
    public string SrcValidMarkPath { get; init; } = "/proc/sys/net/ipv4/conf/all/src_valid_mark";

    /// <summary>True when systemd-resolved manages DNS on this machine.</summary>
    public Func<bool> ResolvedActive { get; init; } = () => Directory.Exists("/run/systemd/resolve");

    /// <summary>The path of an installed program (absolute paths as they are, bare names from <see cref="SystemPaths"/>), or null.</summary>
    public Func<string, string?> Which { get; init; } = DefaultWhich;

    public bool Has(string command) => Which(command) is not null;

    public bool NamespaceExists(string ns) => File.Exists(Path.Combine(NetnsRunDir, ns));

    /// <summary>Whether a link of that name exists in the daemon's network namespace (no process: if_nametoindex).</summary>
    public Func<string, bool> InterfaceExists { get; init; } = name => IfNameToIndex(name) != 0;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "if_nametoindex")]
    private static extern uint IfNameToIndex(string name);

    /// <summary>The trusted absolute path, or where the program would be, so a missing one fails with its full name.</summary>
    private static string Absolute(string name) => SystemPaths.Find(name) ?? Path.Combine(SystemPaths.SystemFolders[0], name);

    private static string? DefaultWhich(string name) =>
        name.Contains('/') ? (File.Exists(name) ? name : null) : SystemPaths.Find(name);
}
