using System.Text;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Proxy.Access;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// Proxy mode: a namespace of its own for the clear-text side. The interface is created in the
/// daemon's namespace and moved in, so its encrypted UDP socket stays outside.
/// </summary>
internal static class NamespaceSteps
{
    public static TunnelStep Create() => new("namespace", CreateAsync, DeleteAsync);

    public static TunnelStep MoveLink() => new("move", MoveAsync, UnmoveAsync);

    public static TunnelStep Routes() => new("routes", RoutesAsync, TunnelStep.Nothing);

    public static TunnelStep Dns() => new("dns", WriteDnsAsync, RemoveDnsAsync);

    public static TunnelStep Proxy() => new("proxy", StartProxyAsync, StopProxyAsync);

    private static string Ns(TunnelContext c) => c.Record.Namespace ?? throw new InvalidOperationException("proxy mode without a namespace");

    private static async Task CreateAsync(TunnelContext c, CancellationToken ct)
    {
        var ns = Ns(c);
        if (c.Tools.NamespaceExists(ns))
            throw new CommandFailedException($"namespace {ns} already exists (left by an earlier run?); disconnect {c.Record.Instance} to clean it");
        await c.Commands.IpAsync(null, ["netns", "add", ns], ct);
        await c.Commands.IpAsync(ns, ["link", "set", "lo", "up"], ct);
    }

    private static async Task DeleteAsync(TunnelContext c, CancellationToken ct)
    {
        var ns = Ns(c);
        if (!c.Tools.NamespaceExists(ns)) return;
        // Links first: nothing must be handed back to another namespace when this one goes.
        await c.Commands.IpTryAsync(ns, ["link", "del", c.Record.Interface], ct);
        await c.Commands.IpTryAsync(null, ["netns", "del", ns], ct);
    }

    private static Task MoveAsync(TunnelContext c, CancellationToken ct) =>
        c.Commands.IpAsync(null, ["link", "set", c.Record.Interface, "netns", Ns(c)], ct);

    private static async Task UnmoveAsync(TunnelContext c, CancellationToken ct)
    {
        if (c.Tools.NamespaceExists(Ns(c))) await c.Commands.IpTryAsync(Ns(c), ["link", "del", c.Record.Interface], ct);
    }

    /// <summary>
    /// Routes of the allowed IPs inside the namespace only; no IPv6 address means no IPv6 at all (unreachable, never a leak).
    /// A rootless exit has no named namespace: its commands already run inside it.
    /// </summary>
    private static Task RoutesAsync(TunnelContext c, CancellationToken ct) => AddRoutesAsync(c.Commands, c.Record, ct);

    /// <summary>The routes of <see cref="Routes"/>, for the record as it is (also after a failover changed its profile).</summary>
    internal static async Task AddRoutesAsync(SystemCommands commands, TunnelRecord r, CancellationToken ct)
    {
        var ns = r.Namespace;
        var hasV6 = r.Addresses.Any(TunnelArgsValidator.IsIPv6);
        var hasV4 = r.Addresses.Any(a => !TunnelArgsValidator.IsIPv6(a));
        foreach (var prefix in r.AllowedIps)
        {
            var v6 = TunnelArgsValidator.IsIPv6(prefix);
            if (v6 ? !hasV6 : !hasV4) continue;
            await commands.IpAsync(ns, [v6 ? "-6" : "-4", "route", "add", prefix, "dev", r.Interface], ct);
        }
        if (!hasV4) await commands.IpAsync(ns, ["-4", "route", "add", "unreachable", "0.0.0.0/0"], ct);
        if (!hasV6) await commands.IpAsync(ns, ["-6", "route", "add", "unreachable", "::/0"], ct);
    }

    private static string ResolvConfDir(TunnelContext c) => Path.Combine(c.Tools.NetnsEtcDir, Ns(c));

    private static Task WriteDnsAsync(TunnelContext c, CancellationToken ct)
    {
        var dir = ResolvConfDir(c);
        Directory.CreateDirectory(dir);
        // Without a VPN DNS the file still exists (with no server), so the host's resolver is never used.
        File.WriteAllText(Path.Combine(dir, "resolv.conf"), ResolvConf(c.Record));
        c.Record.DnsMethod = "netns";
        c.Save();
        return Task.CompletedTask;
    }

    internal static string ResolvConf(TunnelRecord r)
    {
        var sb = new StringBuilder($"# tunmux {r.Instance}: the VPN's DNS; removed on disconnect\n");
        foreach (var d in r.Dns) sb.Append("nameserver ").Append(d).Append('\n');
        return sb.ToString();
    }

    private static Task RemoveDnsAsync(TunnelContext c, CancellationToken ct)
    {
        var dir = ResolvConfDir(c);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task StartProxyAsync(TunnelContext c, CancellationToken ct)
    {
        if (c.Proxy is not { } p) return;
        var r = c.Record;
        r.SocksPort = p.SocksPort;
        r.HttpPort = p.HttpPort;
        c.Save();
        r.ProxyPid = await c.ProxyLauncher.StartAsync(ProxySpec(r, p), ct);
        c.Save();
    }

    /// <summary>
    /// How the exit's proxy is started, the first time and every time its supervisor starts it again: the same
    /// listeners, credentials and the same list of who may connect.
    /// </summary>
    internal static ProxyLaunchSpec ProxySpec(TunnelRecord r, ProxyArgs p) =>
        new(r.Instance, r.Namespace ?? "", p.SocksPort, p.HttpPort, p.AccessLog, p.Username, p.Password)
        {
            // Owner-only unless shared or opened to named users. A record without an owner is the launching
            // user's: root for the daemon's records of earlier versions, the user for a rootless exit.
            Access = new ProxyAccessSpec(r.ProxyShare,
                r.ProxyAllowUids.Count > 0 ? r.ProxyAllowUids : [r.OwnerUid ?? Tunmux.Privileged.Proxy.Launch.Libc.GetEuid()], r.ProxyAllowGids),
        };

    private static async Task StopProxyAsync(TunnelContext c, CancellationToken ct)
    {
        if (c.Record.SocksPort is null && c.Record.ProxyPid is null) return;
        await c.ProxyLauncher.StopAsync(c.Record.Instance, ct);
        c.Record.ProxyPid = null;
    }
}
