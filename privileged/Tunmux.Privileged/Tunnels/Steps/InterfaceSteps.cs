using System.Globalization;
using Tunmux.Privileged.Firewall;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>The WireGuard interface itself: create it, give it keys and the peer, addresses, and wait for the handshake.</summary>
internal static class InterfaceSteps
{
    /// <summary>Kernel link when allowed and the module exists, else the userspace implementation.</summary>
    public static TunnelStep CreateLink() => new("link", CreateAsync, DeleteAsync);

    public static TunnelStep Configure() => new("wg-config", ConfigureAsync, TunnelStep.Nothing);

    /// <summary>Addresses, MTU, link up; in the VPN namespace when there is one.</summary>
    public static TunnelStep Addresses(bool inNamespace) =>
        new("addresses", (c, ct) => AddAddressesAsync(c, inNamespace ? c.Record.Namespace : null, ct), TunnelStep.Nothing);

    public static TunnelStep Handshake(bool inNamespace) =>
        new("handshake", (c, ct) => WaitForHandshakeAsync(c, inNamespace ? c.Record.Namespace : null, ct), TunnelStep.Nothing);

    private static async Task CreateAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        string? kernelError = null;
        if (c.KernelAllowed)
        {
            var add = await c.Commands.IpTryAsync(null, ["link", "add", r.Interface, "type", "wireguard"], ct);
            if (add.Succeeded)
            {
                r.DataPlane = "kernel";
                r.BackendReason = Append(r.BackendReason, "interface: kernel WireGuard module");
                c.Save();
                return;
            }
            kernelError = add.Summary;
        }
        if (c.Userspace is not { } impl)
            throw new CommandFailedException(
                "no WireGuard data plane: the kernel has no WireGuard module" +
                (kernelError is null ? "" : $" ({kernelError})") +
                " and no userspace implementation is installed; install wireguard-go (apt install wireguard-go) " +
                "or boringtun, or load the kernel module (modprobe wireguard)");

        // Recorded before starting, so a crash right after still knows which process to look for.
        r.DataPlane = impl.Name;
        c.Save();
        int pid;
        if (c.UserspaceNamespaceOf is null)
        {
            // The root daemon: its own child in the foreground, its PID known from the spawn, never looked up by command line.
            pid = await UserspaceProcess.StartAsync(impl.Command, impl.Name, r.Interface, c.Paths, c.WireGuardSocketDir,
                TimeSpan.FromSeconds(10), ct);
        }
        else
        {
            // A rootless exit: started through its runner inside the user's namespaces, where it detaches; found there
            // (only the user's own processes in that namespace qualify).
            await c.Commands.CheckedAsync(impl.Command, [r.Interface], null, null, ct);
            pid = ProcessControl.FindByCommandLine(UserspaceProgramNames(c), r.Interface, c.UserspaceNamespaceOf)
                  ?? throw new CommandFailedException($"{impl.Name} {r.Interface} exited right after starting");
        }
        c.Pids.Register(pid);
        r.UserspacePid = pid;
        r.BackendReason = Append(r.BackendReason, c.KernelAllowed
            ? $"interface: {impl.Name} (no kernel WireGuard module)"
            : $"interface: {impl.Name}");
        c.Save();
    }

    internal static IReadOnlyCollection<string> UserspaceProgramNames(TunnelContext c) =>
        c.Tools.UserspaceImplementations.SelectMany(u => u.Commands).ToHashSet();

    private static async Task DeleteAsync(TunnelContext c, CancellationToken ct) => await DeleteLinkAndProcessAsync(c, ct);

    /// <summary>Deletes the link wherever it is (VPN namespace first, so it never wanders back) and ends its process.</summary>
    internal static async Task DeleteLinkAndProcessAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        if (r.Namespace is { } ns && c.Tools.NamespaceExists(ns))
            await c.Commands.IpTryAsync(ns, ["link", "del", r.Interface], ct);
        await c.Commands.IpTryAsync(null, ["link", "del", r.Interface], ct);
        await StopUserspaceAsync(c, ct);
    }

    internal static async Task StopUserspaceAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        if (r.UserspacePid is { } pid)
        {
            if (c.Pids.IsManaged(pid)) await ProcessControl.TerminateAsync(pid, ct);
            c.Pids.Unregister(pid);
            r.UserspacePid = null;
        }
        if (r.DataPlane is not null and not "kernel")
        {
            // Started but not yet recorded (a crash in between): for the root daemon deleting the link (done before)
            // ends it; in a rootless exit's namespaces the user's own process is looked for.
            if (c.UserspaceNamespaceOf is not null
                && ProcessControl.FindByCommandLine(UserspaceProgramNames(c), r.Interface, c.UserspaceNamespaceOf) is { } orphan)
                await ProcessControl.TerminateAsync(orphan, ct);
            // A killed implementation leaves its control socket behind; wg would then talk to nobody.
            try { File.Delete(Path.Combine(c.WireGuardSocketDir, r.Interface + ".sock")); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task ConfigureAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        var key = c.PrivateKey ?? throw new InvalidOperationException("no private key in this context");
        // Keys go through stdin, never argv (which every user can read in /proc). stdin carries one
        // key per run, so with a preshared key the private key is set by a run of its own.
        // Every exit's encrypted socket carries the exit mark (see ExitMark): direct routing and the kill switch key on it.
        r.Fwmark = ExitMark.Value;
        c.Save();
        var set = new List<string> { "set", r.Interface, "fwmark", ExitMark.Value.ToString(CultureInfo.InvariantCulture) };
        if (c.PresharedKey is not null)
        {
            await c.Commands.WgAsync(null, [.. set, "private-key", "/dev/stdin"], key + "\n", ct);
            set = ["set", r.Interface];
        }
        else
        {
            set.AddRange(["private-key", "/dev/stdin"]);
        }
        set.AddRange(["peer", r.PeerPublicKey]);
        if (c.PresharedKey is not null) set.AddRange(["preshared-key", "/dev/stdin"]);
        set.AddRange(["endpoint", r.Endpoint, "allowed-ips", string.Join(',', r.AllowedIps)]);
        if (r.PersistentKeepalive is { } k)
            set.AddRange(["persistent-keepalive", k.ToString(CultureInfo.InvariantCulture)]);
        await c.Commands.WgAsync(null, set, (c.PresharedKey ?? key) + "\n", ct);
    }

    private static async Task AddAddressesAsync(TunnelContext c, string? ns, CancellationToken ct)
    {
        var r = c.Record;
        foreach (var a in r.Addresses)
            await c.Commands.IpAsync(ns, [Family(a), "address", "add", a, "dev", r.Interface], ct);
        await c.Commands.IpAsync(ns, ["link", "set", "mtu", r.Mtu.ToString(CultureInfo.InvariantCulture), "up", "dev", r.Interface], ct);
    }

    /// <summary>
    /// Ready means working: the handshake with the server has completed. Without a persistent
    /// keepalive nothing would be sent until the first packet, so a temporary one starts the
    /// handshake right away and is switched off after.
    /// </summary>
    private static async Task WaitForHandshakeAsync(TunnelContext c, string? ns, CancellationToken ct)
    {
        var r = c.Record;
        // A kernel link is visible only in its namespace; a userspace one answers on its socket anywhere.
        var wgNs = r.DataPlane == "kernel" ? ns : null;
        var temporaryKeepalive = r.PersistentKeepalive is null or 0;
        if (temporaryKeepalive)
            await c.Commands.WgAsync(wgNs, ["set", r.Interface, "peer", r.PeerPublicKey, "persistent-keepalive", "25"], null, ct);

        // A handshake is one round trip: poll often at first (it is usually done within milliseconds),
        // then back off so a slow server does not cost a process every few milliseconds.
        var deadline = DateTime.UtcNow + c.HandshakeTimeout;
        for (var attempt = 0; ; attempt++)
        {
            var output = await c.Commands.WgAsync(wgNs, ["show", r.Interface, "latest-handshakes"], null, ct);
            c.LatestHandshake = ParseLatestHandshake(output);
            if (c.LatestHandshake is not null) break;
            if (DateTime.UtcNow >= deadline)
                throw new CommandFailedException(
                    $"no WireGuard handshake with {r.Endpoint} within {c.HandshakeTimeout.TotalSeconds:0.#} s: " +
                    "the server did not answer; check that it is reachable and that the keys match");
            await Task.Delay(attempt < 50 ? 5 : 100, ct);
        }
        if (temporaryKeepalive)
            await c.Commands.WgAsync(wgNs, ["set", r.Interface, "peer", r.PeerPublicKey, "persistent-keepalive", "off"], null, ct);
    }

    /// <summary>The newest handshake in <c>wg show &lt;if&gt; latest-handshakes</c> output, or null when none yet.</summary>
    internal static DateTimeOffset? ParseLatestHandshake(string output)
    {
        long best = 0;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            if (parts.Length == 2 && long.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                best = Math.Max(best, t);
        }
        return best > 0 ? DateTimeOffset.FromUnixTimeSeconds(best) : null;
    }

    internal static string Family(string cidr) => TunnelArgsValidator.IsIPv6(cidr) ? "-6" : "-4";

    private static string Append(string? reason, string more) => string.IsNullOrEmpty(reason) ? more : reason + "; " + more;
}
