using System.Net;
using System.Text;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels.Steps;

namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>What the rootless steps need besides the shared <see cref="TunnelContext"/>.</summary>
internal sealed class RootlessSetup
{
    public required RootlessTools Tools { get; init; }
    public required RootlessPaths Paths { get; init; }
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Always give the exit a /run of its own for the WireGuard socket folder, even where /run/wireguard exists (tests).</summary>
    public bool ForcePrivateRun { get; init; }
}

/// <summary>
/// The steps only a rootless exit has: its namespaces (a holder process and the outside link), the
/// route out for the encrypted packets, and the two bind mounts (WireGuard's socket folder and
/// resolv.conf). Everything else is the daemon's own steps, run inside through <see cref="NamespaceRunner"/>.
/// </summary>
internal static class RootlessSteps
{
    public static TunnelStep Namespace(RootlessSetup s) => new("namespace", (c, ct) => CreateAsync(s, c, ct), (c, _) => DestroyAsync(s, c));

    public static TunnelStep WireGuardFolder(RootlessSetup s) => new("wireguard-folder", (c, ct) => MountWireGuardFolderAsync(s, c, ct), TunnelStep.Nothing);

    public static TunnelStep Dns(RootlessSetup s) => new("dns", (c, ct) => MountResolvConfAsync(s, c, ct), TunnelStep.Nothing);

    public static TunnelStep OutsideRoute(RootlessSetup s) => new("outside-route", (c, ct) => OutsideRouteAsync(s, c, ct), TunnelStep.Nothing);

    /// <summary>
    /// A holder process (<c>unshare ... sleep infinity</c>) owns a new user namespace in which the user is
    /// root, with a network and a mount namespace; the outside link attaches to it right away and
    /// configures itself while the next steps run. Both are recorded before anything waits on them.
    /// </summary>
    private static async Task CreateAsync(RootlessSetup s, TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        SecureFiles.PrivateDirectory(s.Paths.ExitsDir);
        SecureFiles.PrivateDirectory(s.Paths.ExitDir(r.Instance));
        var log = s.Paths.HolderLog(r.Instance);
        var holder = NamespaceProcesses.StartDetached(s.Tools.Unshare,
            [s.Tools.Unshare, "--user", "--map-root-user", "--net", "--mount", "--propagation", "private", "--", "sleep", "infinity"], log);
        r.HolderPid = holder;
        c.Save();

        var own = ProcessControl.NetworkNamespaceOf(Environment.ProcessId);
        var deadline = Environment.TickCount64 + (long)s.StartTimeout.TotalMilliseconds;
        string? netns;
        // Ready once unshare has made the namespaces and become the sleeping holder.
        while ((netns = ProcessControl.NetworkNamespaceOf(holder)) == own || NamespaceProcesses.CommandName(holder) != "sleep")
        {
            if (!ProcessControl.IsRunning(holder))
                throw new PrivilegedException(ErrorCodes.Failed, RootlessTools.ExplainNamespaceFailure(
                    "cannot create the exit's user namespace: " + (NamespaceProcesses.LastLine(log) ?? "unshare exited")));
            if (Environment.TickCount64 > deadline)
                throw new PrivilegedException(ErrorCodes.Failed, $"the exit's namespaces were not ready within {s.StartTimeout.TotalSeconds:0.#} s (log: {log})");
            await Task.Delay(1, ct);
        }
        c.Pids.Register(holder);
        r.NetnsId = netns;
        c.UserspaceNamespaceOf = holder;
        c.Save();

        var outside = NamespaceProcesses.StartDetached(s.Tools.OutsideLinkPath,
            OutsideLink.Argv(s.Tools, holder, OutsideLink.IsIPv6(OutsideLink.EndpointAddress(r.Endpoint))), s.Paths.OutsideLog(r.Instance));
        r.OutsideLink = s.Tools.OutsideLink;
        r.OutsidePid = outside;
        c.Save();
        try { c.Pids.Register(outside); }
        catch (InvalidOperationException) { /* exited at once: the outside-route step reports its last words */ }

        await c.Commands.IpAsync(null, ["link", "set", "lo", "up"], ct);
    }

    /// <summary>
    /// Ends every process in the exit's network namespace (the holder, wireguard-go, the proxy, programs
    /// started with <c>tunmux exec</c>), then the outside link, then removes the exit's folder. With the
    /// last process the namespaces and their mounts are gone too.
    /// </summary>
    private static async Task DestroyAsync(RootlessSetup s, TunnelContext c)
    {
        var r = c.Record;
        if (r.NetnsId is { } netns && netns != ProcessControl.NetworkNamespaceOf(Environment.ProcessId)
            // A namespace number is reused once the namespace is gone: never end another exit's processes.
            && !c.Store.LoadAll().Any(o => o.Instance != r.Instance && o.NetnsId == netns))
            await NamespaceProcesses.EndAllAsync(netns, TimeSpan.FromSeconds(2));
        foreach (var pid in new[] { r.HolderPid, r.OutsidePid })
        {
            if (pid is not { } p) continue;
            if (c.Pids.IsManaged(p)) await ProcessControl.TerminateAsync(p, CancellationToken.None);
            c.Pids.Unregister(p);
        }
        var dir = s.Paths.ExitDir(r.Instance);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// wireguard-go and wg find the control socket in /run/wireguard, a folder only root may create on the
    /// host: inside the exit's mount namespace a folder of the user's is mounted there. Where /run/wireguard
    /// does not exist, the exit gets a /run of its own holding the host's entries plus that folder.
    /// </summary>
    private static async Task MountWireGuardFolderAsync(RootlessSetup s, TunnelContext c, CancellationToken ct)
    {
        var uapi = s.Paths.UapiDir(c.Record.Instance);
        SecureFiles.PrivateDirectory(uapi);
        const string target = "/run/wireguard";
        if (Directory.Exists(target) && !s.ForcePrivateRun)
            await c.Commands.CheckedAsync("mount", ["-n", "--bind", uapi, target], null, null, ct);
        else
            await RunScriptAsync(c, "cannot give the exit a /run of its own", PrivateRunScript, uapi, ct);
    }

    /// <summary>
    /// A tmpfs staged in /tmp takes every entry of /run (folders bound recursively, files bound, links copied)
    /// plus the user's WireGuard folder, then moves over /run; the stage folder is removed from /tmp after.
    /// Runs inside the exit's mount namespace only.
    /// </summary>
    private const string PrivateRunScript = """
        set -e
        stage=$(mktemp -d /tmp/tunmux-run.XXXXXX)
        trap 'umount -n -l "$stage" 2>/dev/null || true; rmdir "$stage" 2>/dev/null || true' EXIT
        mount -n -t tmpfs -o mode=0755 tunmux-run "$stage"
        for e in /run/* /run/.[!.]*; do
          [ -e "$e" ] || [ -L "$e" ] || continue
          n=${e##*/}
          [ "$n" = wireguard ] && continue
          if [ -L "$e" ]; then ln -s "$(readlink "$e")" "$stage/$n"
          elif [ -d "$e" ]; then mkdir "$stage/$n" && mount -n --rbind "$e" "$stage/$n"
          else : > "$stage/$n" && mount -n --bind "$e" "$stage/$n"
          fi
        done
        mkdir "$stage/wireguard"
        mount -n --bind "$1" "$stage/wireguard"
        mount -n --move "$stage" /run
        """;

    /// <summary>
    /// The tunnel's DNS as /etc/resolv.conf inside the exit (what <c>ip netns exec</c> does for the daemon's
    /// exits). The host's caching resolvers are hidden there as well (nscd's and systemd-resolved's sockets),
    /// so a program inside cannot ask the host's resolver instead of the tunnel's. When resolv.conf is a
    /// link into such a hidden folder, its target is created in the empty tmpfs first.
    /// </summary>
    private static async Task MountResolvConfAsync(RootlessSetup s, TunnelContext c, CancellationToken ct)
    {
        var file = s.Paths.ResolvConf(c.Record.Instance);
        var sb = new StringBuilder($"# tunmux {c.Record.Instance}: the VPN's DNS; removed on disconnect\n");
        foreach (var d in c.Record.Dns) sb.Append("nameserver ").Append(d).Append('\n');
        File.WriteAllText(file, sb.ToString());
        await RunScriptAsync(c, "cannot mount the tunnel's resolv.conf", ResolvConfScript, file, ct);
        c.Record.DnsMethod = "bind-mount";
        c.Save();
    }

    /// <summary>A fixed script inside the exit, its one argument a path of the exit's own; its last error line on failure.</summary>
    private static async Task RunScriptAsync(TunnelContext c, string what, string script, string argument, CancellationToken ct)
    {
        var r = await c.Commands.RunAsync("/bin/sh", ["-c", script, "sh", argument], ct: ct);
        if (!r.Succeeded) throw new CommandFailedException($"{what}: {r.Summary}");
    }

    private const string ResolvConfScript = """
        set -e
        for d in /run/nscd /run/systemd/resolve; do
          if [ -d "$d" ]; then mount -n -t tmpfs -o mode=0755,size=64k tunmux-hidden "$d"; fi
        done
        target=$(readlink -f /etc/resolv.conf)
        [ -e "$target" ] || : > "$target"
        mount -n --bind "$1" "$target"
        """;

    /// <summary>
    /// Once the outside link has configured the namespace: the endpoint alone goes out through it, every
    /// other route of that link (its default, the host's subnet) goes, so nothing but the encrypted
    /// packets can take it. The tunnel's own routes come next (the shared routes step).
    /// </summary>
    private static async Task OutsideRouteAsync(RootlessSetup s, TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        var endpoint = OutsideLink.EndpointAddress(r.Endpoint);
        var v6 = OutsideLink.IsIPv6(endpoint);
        var (gateway, device) = await OutsideLink.WaitForDefaultRouteAsync(r, v6, s.StartTimeout, s.Paths.OutsideLog(r.Instance), ct);
        var family = v6 ? "-6" : "-4";
        await c.Commands.IpAsync(null, ["-4", "route", "flush", "dev", device], ct);
        await c.Commands.IpAsync(null, ["-6", "route", "flush", "dev", device], ct);
        await c.Commands.IpAsync(null,
            [family, "route", "add", $"{endpoint}/{(v6 ? 128 : 32)}", "via", gateway.ToString(), "dev", device, "onlink"], ct);
        r.BackendReason = (r.BackendReason is { Length: > 0 } b ? b + "; " : "") + $"way out: {r.OutsideLink} ({device} via {gateway})";
        c.Save();
    }

    /// <summary>The endpoint with its host resolved on the host (inside the exit, DNS only works through the tunnel).</summary>
    public static async Task<string> ResolveEndpointAsync(string endpoint, CancellationToken ct)
    {
        var bracket = endpoint.StartsWith('[');
        var colon = endpoint.LastIndexOf(':');
        var host = bracket ? endpoint[1..endpoint.IndexOf(']', StringComparison.Ordinal)] : endpoint[..colon];
        var port = endpoint[(colon + 1)..];
        if (IPAddress.TryParse(host, out _)) return endpoint;
        IPAddress[] addresses;
        try { addresses = await System.Net.Dns.GetHostAddressesAsync(host, ct); }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new PrivilegedException(ErrorCodes.Failed, $"cannot resolve the endpoint {host}: {e.Message}");
        }
        var pick = addresses.FirstOrDefault(a => !OutsideLink.IsIPv6(a)) ?? addresses.FirstOrDefault()
            ?? throw new PrivilegedException(ErrorCodes.Failed, $"the endpoint {host} has no address");
        return OutsideLink.IsIPv6(pick) ? $"[{pick}]:{port}" : $"{pick}:{port}";
    }
}
