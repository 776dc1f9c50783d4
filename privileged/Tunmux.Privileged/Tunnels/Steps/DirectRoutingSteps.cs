using System.Globalization;
using Tunmux.Privileged.Firewall;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// Direct mode with ip/wg (the kernel backend): full-tunnel routing the way wg-quick does it.
/// The interface marks its own encrypted packets with the exit mark; every unmarked packet is
/// looked up in a table of its own whose default route is the tunnel, while
/// <c>suppress_prefixlength 0</c> lets the main table's specific routes (the LAN, the endpoint's
/// path) win over its default. So the endpoint stays reachable and nothing else leaks.
/// A family the tunnel does not carry (no address of it in the profile, or IPv6 disabled) gets the
/// same rules with an unreachable default instead (<see cref="Block"/>): blocked, never left open.
/// </summary>
internal static class DirectRoutingSteps
{
    public const int FirstTable = 51820;

    public static TunnelStep Routes() => new("routes", AddAsync, RemoveAsync);

    /// <summary>Blocks the families the tunnel does not carry, for both backends (after wg-quick, or after <see cref="Routes"/>).</summary>
    public static TunnelStep Block() => new("block", BlockAsync, UnblockAsync);

    private static bool IsDefault(string prefix) => prefix is "0.0.0.0/0" or "::/0";

    private static string Mark(TunnelContext c) => (c.Record.Fwmark ?? ExitMark.Value).ToString(CultureInfo.InvariantCulture);

    private static async Task AddAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        var defaults = r.AllowedIps.Where(IsDefault).Select(InterfaceSteps.Family).Where(r.Carries).Distinct().ToList();
        if (defaults.Count > 0)
        {
            var table = await FreeTableAsync(c, ct);
            r.RoutingTable = table;
            r.RoutingFamilies = defaults;
            c.Save();
            var t = table.ToString(CultureInfo.InvariantCulture);
            foreach (var family in defaults)
                await AddDefaultAsync(c, family, t, [Any(family), "dev", r.Interface], ct);
            if (defaults.Contains("-4") && File.Exists(c.Tools.SrcValidMarkPath))
            {
                // Replies to marked packets must pass reverse-path filtering.
                r.SrcValidMarkBefore = File.ReadAllText(c.Tools.SrcValidMarkPath).Trim();
                c.Save();
                File.WriteAllText(c.Tools.SrcValidMarkPath, "1\n");
            }
        }
        foreach (var prefix in r.AllowedIps.Where(p => !IsDefault(p) && r.Carries(InterfaceSteps.Family(p))))
            await c.Commands.IpAsync(null, [InterfaceSteps.Family(prefix), "route", "add", prefix, "dev", r.Interface], ct);
    }

    private static string Any(string family) => family == "-4" ? "0.0.0.0/0" : "::/0";

    /// <summary>Unmarked traffic of <paramref name="family"/> looks up table <paramref name="t"/>, whose default is <paramref name="route"/>.</summary>
    private static async Task AddDefaultAsync(TunnelContext c, string family, string t, IReadOnlyList<string> route, CancellationToken ct)
    {
        await c.Commands.IpAsync(null, [family, "rule", "add", "not", "fwmark", Mark(c), "table", t], ct);
        await c.Commands.IpAsync(null, [family, "rule", "add", "table", "main", "suppress_prefixlength", "0"], ct);
        await c.Commands.IpAsync(null, [family, "route", "add", .. route, "table", t], ct);
    }

    private static async Task BlockAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        var blocked = new[] { "-4", "-6" }.Where(f => !r.Carries(f)).ToList();
        if (blocked.Count == 0) return;
        // The tunnel's own table when there is one (wg-quick's is its mark), so one table holds the whole plan.
        var table = r.RoutingTable ?? await FreeTableAsync(c, ct);
        r.BlockTable = table;
        r.BlockedFamilies = blocked;
        c.Save();
        foreach (var family in blocked)
            await AddDefaultAsync(c, family, table.ToString(CultureInfo.InvariantCulture), ["unreachable", Any(family)], ct);
    }

    private static async Task UnblockAsync(TunnelContext c, CancellationToken ct)
    {
        var r = c.Record;
        if (r.BlockTable is not { } table) return;
        await RemoveFamiliesAsync(c, table, r.BlockedFamilies, ct);
        r.BlockTable = null;
        r.BlockedFamilies = [];
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
            await RemoveFamiliesAsync(c, table, r.RoutingFamilies, ct);
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

    private static async Task RemoveFamiliesAsync(TunnelContext c, int table, IReadOnlyList<string> families, CancellationToken ct)
    {
        var t = table.ToString(CultureInfo.InvariantCulture);
        // Records from before the exit mark used the table number as the mark.
        var mark = (c.Record.Fwmark ?? table).ToString(CultureInfo.InvariantCulture);
        foreach (var family in families)
        {
            await c.Commands.IpTryAsync(null, [family, "rule", "del", "not", "fwmark", mark, "table", t], ct);
            await c.Commands.IpTryAsync(null, [family, "rule", "del", "table", "main", "suppress_prefixlength", "0"], ct);
            await c.Commands.IpTryAsync(null, [family, "route", "flush", "table", t], ct);
        }
    }
}
