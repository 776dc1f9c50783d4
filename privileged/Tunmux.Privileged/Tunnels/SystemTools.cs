namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// The programs and system files the tunnel code uses, in one place so a test can point them at
/// fakes (to check an exact command sequence without root) or at a temporary resolv.conf.
/// </summary>
internal sealed class SystemTools
{
    public string Ip { get; init; } = "ip";
    public string Wg { get; init; } = "wg";
    public string WgQuick { get; init; } = "wg-quick";
    public string Resolvconf { get; init; } = "resolvconf";
    public string Resolvectl { get; init; } = "resolvectl";
    public string Nft { get; init; } = "nft";

    /// <summary>Userspace WireGuard implementations, in order of preference, by the names they install as.</summary>
    public IReadOnlyList<(string Name, string[] Commands)> UserspaceImplementations { get; init; } =
    [
        ("wireguard-go", ["wireguard-go"]),
        ("boringtun", ["boringtun-cli", "boringtun"]),
    ];

    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";

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

    /// <summary>Full path of a command found on PATH, or null.</summary>
    public Func<string, string?> Which { get; init; } = DefaultWhich;

    public bool Has(string command) => Which(command) is not null;

    public bool NamespaceExists(string ns) => File.Exists(Path.Combine(NetnsRunDir, ns));

    private static string? DefaultWhich(string name)
    {
        if (name.Contains('/')) return File.Exists(name) ? name : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            if (dir.Length == 0) continue;
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin" })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
