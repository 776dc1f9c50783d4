using System.Globalization;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// Direct mode with ip/wg (the kernel backend): full-tunnel routing the way wg-quick does it.
/// The interface marks its own encrypted packets with a firewall mark; every unmarked packet is
/// looked up in a table of its own whose default route is the tunnel, while
/// <c>suppress_prefixlength 0</c> lets the main table's specific routes (the LAN, the endpoint's
/// path) win over its default. So the endpoint stays reachable and nothing else leaks.
/// </summary>
internal static class DirectRoutingSteps
{
    public const int FirstTable = 51820;

    public static TunnelStep Routes() => new("routes", AddAsync, RemoveAsync);

    private static bool IsDefault(string prefix) => prefix is "0.0.0.0/0" or "::/0";

    private static async Task AddAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        var defaults = r.AllowedIps.Where(IsDefault).Select(InterfaceSteps.Family).Distinct().ToList();
        if (defaults.Count > 0)
        {
            var table = await FreeTableAsync(c, ct);
            r.RoutingTable = table;
            r.RoutingFamilies = defaults;
            c.Save();
            var t = table.ToString(CultureInfo.InvariantCulture);
            await c.Commands.WgAsync(null, ["set", r.Interface, "fwmark", t], null, ct);
            foreach (var family in defaults)
            {
                await c.Commands.IpAsync(null, [family, "rule", "add", "not", "fwmark", t, "table", t], ct);
                await c.Commands.IpAsync(null, [family, "rule", "add", "table", "main", "suppress_prefixlength", "0"], ct);
                await c.Commands.IpAsync(null, [family, "route", "add", family == "-4" ? "0.0.0.0/0" : "::/0", "dev", r.Interface, "table", t], ct);
            }
            if (defaults.Contains("-4") && File.Exists(c.Tools.SrcValidMarkPath))
            {
                // Replies to marked packets must pass reverse-path filtering.
                r.SrcValidMarkBefore = File.ReadAllText(c.Tools.SrcValidMarkPath).Trim();
                c.Save();
                File.WriteAllText(c.Tools.SrcValidMarkPath, "1\n");
            }
        }
        foreach (var prefix in r.AllowedIps.Where(p => !IsDefault(p)))
            await c.Commands.IpAsync(null, [InterfaceSteps.Family(prefix), "route", "add", prefix, "dev", r.Interface], ct);
    }

    /// <summary>The first table from 51820 with no route in it, as wg-quick picks it.</summary>
    private static async Task<int> FreeTableAsync(TunnelContext c, CancellationToken ct)
    {
        for (var table = FirstTable; table < FirstTable + 1000; table++)
        {
            var t = table.ToString(CultureInfo.InvariantCulture);
            var v4 = await c.Commands.IpTryAsync(null, ["-4", "route", "show", "table", t], ct);
            var v6 = await c.Commands.IpTryAsync(null, ["-6", "route", "show", "table", t], ct);
            if (v4.StandardOutput.Trim().Length == 0 && v6.StandardOutput.Trim().Length == 0) return table;
        }
        throw new CommandFailedException($"no free routing table between {FirstTable} and {FirstTable + 999}");
    }

    private static Task RemoveAsync(TunnelContext c, CancellationToken ct) => RemoveRulesAsync(c, ct);

    /// <summary>Removes the rules and the table's routes recorded for this instance, and restores the sysctl.</summary>
    internal static async Task RemoveRulesAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        if (r.RoutingTable is { } table)
        {
            var t = table.ToString(CultureInfo.InvariantCulture);
            foreach (var family in r.RoutingFamilies)
            {
                await c.Commands.IpTryAsync(null, [family, "rule", "del", "not", "fwmark", t, "table", t], ct);
                await c.Commands.IpTryAsync(null, [family, "rule", "del", "table", "main", "suppress_prefixlength", "0"], ct);
                await c.Commands.IpTryAsync(null, [family, "route", "flush", "table", t], ct);
            }
            r.RoutingTable = null;
            r.RoutingFamilies = [];
        }
        if (r.SrcValidMarkBefore is { } before && File.Exists(c.Tools.SrcValidMarkPath))
        {
            File.WriteAllText(c.Tools.SrcValidMarkPath, before + "\n");
            r.SrcValidMarkBefore = null;
        }
        // Routes to specific prefixes went with the link.
    }
}
