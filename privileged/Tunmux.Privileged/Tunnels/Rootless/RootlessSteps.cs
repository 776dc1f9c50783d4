using System.Net;
using System.Text;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy.Launch;
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
/// The steps only a rootless exit has: its namespaces (a holder process that sets them up, and the outside
/// link) and the route out for the encrypted packets. Everything else is the daemon's own steps, run inside
/// through <see cref="NamespaceRunner"/>.
/// </summary>
internal static class RootlessSteps
{
    public static TunnelStep Namespace(RootlessSetup s) => new("namespace", (c, ct) => CreateAsync(s, c, ct), (c, _) => DestroyAsync(s, c));

    public static TunnelStep OutsideRoute(RootlessSetup s) => new("outside-route", (c, ct) => OutsideRouteAsync(s, c, ct), TunnelStep.Nothing);

    /// <summary>
    /// A holder process owns a new user namespace in which the user is root, with a network and a mount
    /// namespace: <c>unshare</c> makes them, then a fixed script sets them up from inside (loopback up,
    /// WireGuard's socket folder and the tunnel's resolv.conf mounted, see <see cref="HolderScript"/>),
    /// says so on a pipe and becomes <c>sleep infinity</c>. The outside link attaches to it right away and
    /// configures itself while the next steps run. Both are recorded before anything waits on them.
    /// </summary>
    private static async Task CreateAsync(RootlessSetup s, TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        SecureFiles.PrivateDirectory(s.Paths.ExitsDir);
        SecureFiles.PrivateDirectory(s.Paths.ExitDir(r.Instance));
        var uapi = s.Paths.UapiDir(r.Instance);
        SecureFiles.PrivateDirectory(uapi);
        var resolvConf = s.Paths.ResolvConf(r.Instance);
        var sb = new StringBuilder($"# tunmux {r.Instance}: the VPN's DNS; removed on disconnect\n");
        foreach (var d in r.Dns) sb.Append("nameserver ").Append(d).Append('\n');
        // Without a VPN DNS the file still exists (with no server), so the host's resolver is never used.
        File.WriteAllText(resolvConf, sb.ToString());

        var log = s.Paths.HolderLog(r.Instance);
        int holder;
        using (var ready = Pipe.Create())
        {
            holder = NamespaceProcesses.StartDetached(s.Tools.Unshare,
            [
                s.Tools.Unshare, "--user", "--map-root-user", "--net", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c", HolderScript, "sh", uapi, resolvConf, s.ForcePrivateRun ? "private" : "shared",
            ], log, new Dictionary<int, int> { [3] = ready.WriteFd });
            r.HolderPid = holder;
            c.Save();
            ready.CloseWrite();
            var line = Task.Run(ready.ReadLine, CancellationToken.None);
            if (await Task.WhenAny(line, Task.Delay(s.StartTimeout, ct)) != line)
                throw new PrivilegedException(ErrorCodes.Failed, $"the exit's namespaces were not ready within {s.StartTimeout.TotalSeconds:0.#} s (log: {log})");
            if (await line != "ready")
            {
                var why = NamespaceProcesses.LastLine(log) ?? "it exited";
                throw new PrivilegedException(ErrorCodes.Failed, why.StartsWith("unshare", StringComparison.Ordinal)
                    ? RootlessTools.ExplainNamespaceFailure("cannot create the exit's user namespace: " + why)
                    : "cannot set up the exit's namespaces: " + why);
            }
        }
        c.Pids.Register(holder);
        r.NetnsId = ProcessControl.NetworkNamespaceOf(holder);
        r.DnsMethod = "bind-mount";
        c.UserspaceNamespaceOf = holder;
        c.Save();

        var outside = NamespaceProcesses.StartDetached(s.Tools.OutsideLinkPath,
            OutsideLink.Argv(s.Tools, holder, OutsideLink.IsIPv6(OutsideLink.EndpointAddress(r.Endpoint))), s.Paths.OutsideLog(r.Instance));
        r.OutsideLink = s.Tools.OutsideLink;
        r.OutsidePid = outside;
        c.Save();
        try { c.Pids.Register(outside); }
        catch (InvalidOperationException) { /* exited at once: the outside-route step reports its last words */ }
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
    /// Runs inside the new namespaces as their root, before they are used: <c>$1</c> the user's WireGuard socket
    /// folder, <c>$2</c> the tunnel's resolv.conf, <c>$3</c> <c>private</c> to always give the exit a /run of its own.
    /// <list type="bullet">
    /// <item>wireguard-go and wg find the control socket in /run/wireguard, a folder only root may create on the
    /// host: the user's folder is mounted there. Where it does not exist, a tmpfs staged in /tmp takes every entry
    /// of /run (folders bound recursively, files bound, links copied) plus the user's folder, then moves over /run;
    /// the stage folder is removed from /tmp after.</item>
    /// <item>The tunnel's DNS becomes /etc/resolv.conf (what <c>ip netns exec</c> does for the daemon's exits). The
    /// host's caching resolvers are hidden (nscd's and systemd-resolved's sockets), so a program inside cannot ask
    /// the host's resolver instead of the tunnel's; when resolv.conf is a link into such a hidden folder, its target
    /// is created in the empty tmpfs first.</item>
    /// </list>
    /// Mounts are made without the userspace mount table (<c>-n</c>): that file is the host's.
    /// </summary>
    private const string HolderScript = """
        set -e
        ip link set lo up
        if [ -d /run/wireguard ] && [ "$3" != private ]; then
          mount -n --bind "$1" /run/wireguard
        else
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
          rmdir "$stage"
          trap - EXIT
        fi
        for d in /run/nscd /run/systemd/resolve; do
          if [ -d "$d" ]; then mount -n -t tmpfs -o mode=0755,size=64k tunmux-hidden "$d"; fi
        done
        target=$(readlink -f /etc/resolv.conf)
        [ -e "$target" ] || : > "$target"
        mount -n --bind "$2" "$target"
        echo ready >&3
        exec 3>&- sleep infinity
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
        // One ip for both changes, in the endpoint's family (the link was told to carry only that one).
        await c.Commands.CheckedAsync(c.Tools.Ip, [v6 ? "-6" : "-4", "-batch", "-"],
            $"route flush dev {device}\nroute add {endpoint}/{(v6 ? 128 : 32)} via {gateway} dev {device} onlink\n", null, ct);
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
