using System.Globalization;
using System.Text;
using Tunmux.Privileged.Firewall;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// Direct mode through wg-quick (the wg-quick and userspace backends): tunmux writes the
/// profile as a wg-quick config (0600 in a root-only folder) and lets wg-quick do the rest.
/// </summary>
internal static class WgQuickSteps
{
    public static TunnelStep Config() => new("wg-quick-config", WriteConfigAsync, DeleteConfigAsync);

    public static TunnelStep Up() => new("wg-quick-up", UpAsync, DownAsync);

    private static Task WriteConfigAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        var dir = c.Paths.WgDir(r.Provider);
        SecureFiles.PrivateDirectory(Path.GetDirectoryName(dir)!);
        SecureFiles.PrivateDirectory(dir);
        var path = Path.Combine(dir, r.Interface + ".conf");
        r.ConfigPath = path;
        r.Fwmark = ExitMark.Value;
        // wg-quick sets DNS only through resolvconf; without it tunmux sets DNS itself (the dns step).
        if (r.Dns.Count > 0 && c.Tools.Has(c.Tools.Resolvconf)) r.DnsMethod = "wg-quick";
        c.Save();

        SecureFiles.WriteAtomically(path, stream => stream.Write(Encoding.UTF8.GetBytes(Render(r, c.PrivateKey!, c.PresharedKey))));
        return Task.CompletedTask;
    }

    internal static string Render(TunnelRecord r, string privateKey, string? presharedKey)
    {
        var sb = new StringBuilder();
        sb.Append("[Interface]\n");
        sb.Append("PrivateKey = ").Append(privateKey).Append('\n');
        sb.Append("Address = ").AppendJoin(", ", r.Addresses).Append('\n');
        if (r.DnsMethod == "wg-quick") sb.Append("DNS = ").AppendJoin(", ", r.Dns).Append('\n');
        sb.Append("MTU = ").Append(r.Mtu.ToString(CultureInfo.InvariantCulture)).Append('\n');
        // wg-quick takes the mark as its routing table too: the exit mark (see ExitMark) is what the kill switch lets out.
        sb.Append("FwMark = ").Append((r.Fwmark ?? ExitMark.Value).ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("\n[Peer]\n");
        sb.Append("PublicKey = ").Append(r.PeerPublicKey).Append('\n');
        if (presharedKey is not null) sb.Append("PresharedKey = ").Append(presharedKey).Append('\n');
        sb.Append("Endpoint = ").Append(r.Endpoint).Append('\n');
        // Only the families the tunnel carries: the block step turns the others into unreachable, never into wg-quick routes.
        var allowed = CarriedAllowedIps(r).ToList();
        if (allowed.Count > 0) sb.Append("AllowedIPs = ").AppendJoin(", ", allowed).Append('\n');
        if (r.PersistentKeepalive is { } k) sb.Append("PersistentKeepalive = ").Append(k.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    internal static IEnumerable<string> CarriedAllowedIps(TunnelRecord r) =>
        r.AllowedIps.Where(a => r.Carries(InterfaceSteps.Family(a)));

    private static Task DeleteConfigAsync(TunnelContext c, CancellationToken ct)
    {
        if (c.Record.ConfigPath is { } path)
        {
            File.Delete(path);
            File.Delete(path + ".tmp");
        }
        return Task.CompletedTask;
    }

    private static Dictionary<string, string>? Environment(TunnelContext c)
    {
        if (c.Userspace is not { } u || c.Record.UserspaceImplementation is null) return null;
        var env = UserspaceProcess.WgQuickEnvironment(u.Name, UserspaceProcess.LogPath(c.Paths, c.Record.Interface));
        env["WG_QUICK_USERSPACE_IMPLEMENTATION"] = u.Command;
        if (env.ContainsKey("WG_LOG_FILE")) SecureFiles.PrivateDirectory(Path.GetDirectoryName(env["WG_LOG_FILE"])!);
        return env;
    }

    private static async Task UpAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        // Recorded first: a crash inside wg-quick still leaves a record that down can act on.
        r.DataPlane = "unknown";
        c.Save();
        var spawned = UserspaceProcess.NowTicks();
        await c.Commands.CheckedAsync(c.Tools.WgQuick, ["up", r.ConfigPath!], null, Environment(c), ct);
        // wg-quick starts the implementation itself: only a root process started since then counts.
        var pid = ProcessControl.FindByCommandLine(InterfaceSteps.UserspaceProgramNames(c), r.Interface, startedAfter: spawned);
        if (pid is { } p)
        {
            c.Pids.Register(p);
            r.UserspacePid = p;
            r.DataPlane = r.UserspaceImplementation ?? "wireguard-go";
            r.BackendReason += $"; interface: {r.DataPlane} (no kernel WireGuard module)";
        }
        else
        {
            r.DataPlane = "kernel";
            r.BackendReason += "; interface: kernel WireGuard module";
        }
        // wg-quick's own down needs the interface to find its rules; remember them for after a crash.
        var fwmark = (await c.Commands.WgAsync(null, ["show", r.Interface, "fwmark"], null, ct)).Trim();
        if (fwmark.StartsWith("0x", StringComparison.Ordinal)
            && int.TryParse(fwmark[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var table))
        {
            r.RoutingTable = table;
            r.RoutingFamilies = CarriedAllowedIps(r).Where(a => a is "0.0.0.0/0" or "::/0").Select(InterfaceSteps.Family).Distinct().ToList();
        }
        c.Save();
    }

    private static async Task DownAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        var down = r.ConfigPath is { } path && File.Exists(path)
            ? await c.Commands.RunAsync(c.Tools.WgQuick, ["down", path], null, Environment(c), ct)
            : null;
        if (down is not { Succeeded: true })
        {
            // wg-quick refuses to go down once the interface is gone (a crash): undo its work by hand.
            await DirectRoutingSteps.RemoveRulesAsync(c, ct);
            if (c.Tools.Which(c.Tools.Nft) is { } nft)
                foreach (var family in new[] { "ip", "ip6" })
                    await c.Commands.RunAsync(nft, ["delete", "table", family, "wg-quick-" + r.Interface], ct: ct);
        }
        await InterfaceSteps.DeleteLinkAndProcessAsync(c, ct);
    }
}
