using System.Text;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// Direct mode DNS: resolvconf when installed, else systemd-resolved when it runs, else
/// /etc/resolv.conf itself. The file is written in place (truncate and write, never a rename):
/// it may be a symlink target or a bind mount (inside <c>ip netns exec</c>), and a rename would
/// replace the mount point's view instead of the file. Its exact original bytes are kept in the
/// record and put back on down.
/// </summary>
internal static class DirectDnsSteps
{
    public static TunnelStep Dns() => new("dns", SetAsync, RestoreAsync);

    private static string ResolvconfName(TunnelContext c) => "tun." + c.Record.Interface;

    private static async Task SetAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        if (r.Dns.Count == 0 || r.DnsMethod == "wg-quick") return;
        var lines = new StringBuilder();
        foreach (var d in r.Dns) lines.Append("nameserver ").Append(d).Append('\n');

        if (c.Tools.Which(c.Tools.Resolvconf) is { } resolvconf)
        {
            r.DnsMethod = "resolvconf";
            c.Save();
            await c.Commands.CheckedAsync(resolvconf, ["-a", ResolvconfName(c), "-m", "0", "-x"], lines.ToString(), null, ct);
        }
        else if (c.Tools.ResolvedActive() && c.Tools.Which(c.Tools.Resolvectl) is { } resolvectl)
        {
            r.DnsMethod = "resolvectl";
            c.Save();
            await c.Commands.CheckedAsync(resolvectl, ["dns", r.Interface, .. r.Dns], null, null, ct);
            // "~." routes every name to this link's servers.
            await c.Commands.CheckedAsync(resolvectl, ["domain", r.Interface, "~."], null, null, ct);
        }
        else
        {
            var target = ResolvConfFile.Resolve(c.Tools.ResolvConfPath);
            var existed = File.Exists(target);
            r.ResolvConfTarget = target;
            r.ResolvConfExisted = existed;
            r.ResolvConfBackup = Convert.ToBase64String(existed ? await File.ReadAllBytesAsync(target, ct) : []);
            r.DnsMethod = "file";
            c.Save();
            ResolvConfFile.Write(target, Encoding.UTF8.GetBytes($"# tunmux {r.Instance}: the VPN's DNS; the original is restored on disconnect\n{lines}"), create: !existed);
        }
    }

    private static async Task RestoreAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        switch (r.DnsMethod)
        {
            case "resolvconf":
                if (c.Tools.Which(c.Tools.Resolvconf) is { } resolvconf)
                    await c.Commands.RunAsync(resolvconf, ["-d", ResolvconfName(c), "-f"], ct: ct);
                break;
            case "resolvectl":
                if (c.Tools.Which(c.Tools.Resolvectl) is { } resolvectl)
                    await c.Commands.RunAsync(resolvectl, ["revert", r.Interface], ct: ct);
                break;
            case "file" when r.ResolvConfBackup is { } backup:
                var target = r.ResolvConfTarget ?? ResolvConfFile.Resolve(c.Tools.ResolvConfPath);
                if (r.ResolvConfExisted) ResolvConfFile.Write(target, Convert.FromBase64String(backup), create: false);
                else File.Delete(target);
                r.ResolvConfBackup = null;
                r.ResolvConfTarget = null;
                break;
        }
        if (r.DnsMethod != "wg-quick") r.DnsMethod = null;
    }
}
