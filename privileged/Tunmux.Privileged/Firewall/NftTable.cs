using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Firewall;

/// <summary>
/// Renders a <see cref="FirewallPolicy"/> as tunmux's own nftables table (<c>inet tunmux</c>) and puts it in
/// place in one transaction: the old table (if any) and the new one swap atomically, so there is never a
/// moment without rules. No other table is read or touched. Its base chains drop by default; since every
/// base chain on a hook must accept a packet for it to pass, this table can only ever narrow what the
/// machine's own rules allow, never widen it.
/// </summary>
internal sealed class NftTable(ProcessRunner runner, string nft)
{
    public const string Family = "inet";
    public const string Name = "tunmux";

    /// <summary>How nftables names the table in <c>nft list ruleset</c> and in messages.</summary>
    public const string Spec = Family + " " + Name;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Installs or replaces the table; throws <see cref="CommandFailedException"/> with nft's own reason.</summary>
    public async Task ApplyAsync(FirewallPolicy policy, CancellationToken ct)
    {
        // "table ... {}" creates it when absent, so the delete never fails; the three lines are one transaction.
        var script = $"table {Spec} {{}}\ndelete table {Spec}\n{Render(policy)}";
        var r = await runner.RunAsync(nft, ["-f", "-"], script, Timeout, cancellationToken: ct);
        if (!r.Succeeded)
            throw new CommandFailedException($"nft could not install the firewall table {Spec}: {r.Summary}");
        // Read back: a kernel without nftables support can accept the script and still hold nothing.
        var check = await runner.RunAsync(nft, ["list", "table", Family, Name], timeout: Timeout, cancellationToken: ct);
        if (!check.Succeeded)
            throw new CommandFailedException($"the firewall table {Spec} is not in place after installing it: {check.Summary}");
    }

    /// <summary>The table as nftables text. Every value is a parsed address, a number or a derived interface name.</summary>
    public static string Render(FirewallPolicy p)
    {
        var t = p.Tunnel;
        var sb = new StringBuilder();
        sb.Append("table ").Append(Spec).Append(" {\n");

        // Output: what this machine sends.
        Chain(sb, "output", "output", () =>
        {
            Rule(sb, "oifname \"lo\" accept");
            foreach (var exit in p.Exits) Rule(sb, ExitRule(exit));
            DhcpAndNeighbourDiscoveryOut(sb);
            foreach (var api in p.Api)
                Rule(sb, $"meta skuid {U(api.Uid)} {Daddr(api.Address)} tcp dport {I(api.Port)} accept");
            TunnelOut(sb, t);
            if (p.AllowLan) LanOut(sb, p.LanSubnets);
            // Refused rather than silently dropped: programs fail at once instead of waiting for a timeout.
            Rule(sb, "reject");
        });

        // Input: answers to what was allowed out, the tunnel, and the link's own housekeeping.
        Chain(sb, "input", "input", () =>
        {
            Rule(sb, "iifname \"lo\" accept");
            if (t is not null)
            {
                // Packets for the tunnel's address that arrive on another link are forged (CVE-2019-14899).
                foreach (var a in t.Addresses)
                    Rule(sb, $"iifname != {Quote(t.Interface)} {Daddr(a)} drop");
            }
            Rule(sb, "ct state established,related accept");
            Rule(sb, "udp sport 67 udp dport 68 accept");
            Rule(sb, "ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept");
            Rule(sb, "icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } ip6 hoplimit 255 accept");
            if (t is not null) Rule(sb, $"iifname {Quote(t.Interface)} accept");
            if (p.AllowLan)
            {
                foreach (var net in Lan(p.LanSubnets)) Rule(sb, $"{Saddr(net)} accept");
                Rule(sb, "ip6 saddr fe80::/10 accept");
            }
        });

        // Forward: machines routed through this one (containers, virtual machines) follow the same rules.
        Chain(sb, "forward", "forward", () =>
        {
            Rule(sb, "ct state established,related accept");
            TunnelOut(sb, t);
            if (p.AllowLan) LanOut(sb, p.LanSubnets);
        });

        sb.Append("}\n");
        return sb.ToString();
    }

    private static void Chain(StringBuilder sb, string name, string hook, Action body)
    {
        sb.Append("\tchain ").Append(name).Append(" {\n");
        sb.Append("\t\ttype filter hook ").Append(hook).Append(" priority 0; policy drop;\n");
        body();
        sb.Append("\t}\n");
    }

    private static void Rule(StringBuilder sb, string rule) => sb.Append("\t\t").Append(rule).Append('\n');

    private static string ExitRule(ExitSocket e)
    {
        var owner = e.Mark is { } mark
            ? $"meta mark 0x{mark.ToString("x8", CultureInfo.InvariantCulture)}"
            : e.OwnerUid is { } uid ? $"meta skuid {U(uid)}"
            : throw new ArgumentException("an exit socket is matched by its mark or its owner", nameof(e));
        return $"{owner} {Daddr(e.Address)} udp dport {I(e.Port)} accept";
    }

    /// <summary>DHCP (both families) and the neighbour discovery a link needs; hop limit 255 keeps them on the link.</summary>
    private static void DhcpAndNeighbourDiscoveryOut(StringBuilder sb)
    {
        Rule(sb, "udp sport 68 udp dport 67 accept");
        Rule(sb, "ip6 saddr fe80::/10 udp sport 546 udp dport 547 accept");
        Rule(sb, "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept");
    }

    /// <summary>
    /// DNS first (only to the tunnel's servers, through the tunnel; ports 53 and 853 anywhere else are refused,
    /// the LAN included), then a family the tunnel does not carry, then the tunnel itself.
    /// </summary>
    private static void TunnelOut(StringBuilder sb, TunnelAccess? t)
    {
        const string dns = "meta l4proto { tcp, udp } th dport { 53, 853 }";
        if (t is not null)
            foreach (var server in t.Dns)
                Rule(sb, $"oifname {Quote(t.Interface)} {Daddr(server)} {dns} accept");
        Rule(sb, $"{dns} reject");
        if (t is null) return;
        if (!t.Ipv4) Rule(sb, $"oifname {Quote(t.Interface)} meta nfproto ipv4 reject");
        if (!t.Ipv6) Rule(sb, $"oifname {Quote(t.Interface)} meta nfproto ipv6 reject");
        Rule(sb, $"oifname {Quote(t.Interface)} accept");
    }

    private static void LanOut(StringBuilder sb, IReadOnlyList<string> subnets)
    {
        foreach (var net in Lan(subnets)) Rule(sb, $"{Daddr(net)} accept");
        // Link-local multicast (mDNS, SSDP, router protocols) and broadcast stay on the link by construction.
        Rule(sb, "ip daddr 224.0.0.0/24 accept");
        Rule(sb, "ip daddr 239.255.255.250 accept");
        Rule(sb, "ip daddr 255.255.255.255 accept");
        Rule(sb, "ip6 daddr fe80::/10 accept");
        Rule(sb, "ip6 daddr ff02::/16 accept");
    }

    /// <summary>The subnets, parsed and in canonical form (a malformed entry is an error, never passed to nft as text).</summary>
    private static IEnumerable<IPNetwork> Lan(IReadOnlyList<string> subnets) =>
        subnets.Select(s => IPNetwork.TryParse(s, out var net)
            ? net
            : throw new ArgumentException($"not a subnet: {s}", nameof(subnets))).Distinct();

    private static string Daddr(IPAddress a) => $"{(a.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip")} daddr {a}";
    private static string Daddr(IPNetwork n) => $"{(n.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip")} daddr {n}";
    private static string Saddr(IPNetwork n) => $"{(n.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip")} saddr {n}";

    /// <summary>Interface names are derived from validated instance names; quoting is belt and braces.</summary>
    private static string Quote(string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && name.Length is > 0 and <= 15
            ? $"\"{name}\""
            : throw new ArgumentException($"not an interface name: {name}", nameof(name));

    private static string I(int n) => n.ToString(CultureInfo.InvariantCulture);
    private static string U(uint n) => n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Removes tunmux's table and nothing else, in one transaction that also succeeds when the table is already gone
/// (an undo must tolerate being run twice).
/// </summary>
internal sealed class NftTableRemoval(ProcessRunner runner, string nft)
{
    public async Task RemoveAsync(CancellationToken ct)
    {
        var r = await runner.RunAsync(nft, ["-f", "-"], $"table {NftTable.Spec} {{}}\ndelete table {NftTable.Spec}\n",
            TimeSpan.FromSeconds(15), cancellationToken: ct);
        if (!r.Succeeded)
            throw new CommandFailedException($"nft could not remove the firewall table {NftTable.Spec}: {r.Summary}; remove it with: nft delete table {NftTable.Spec}");
    }

    /// <summary>Whether the table is in the kernel now (what a crashed daemon may have left).</summary>
    public async Task<bool> ExistsAsync(CancellationToken ct) =>
        (await runner.RunAsync(nft, ["list", "table", NftTable.Family, NftTable.Name], timeout: TimeSpan.FromSeconds(15), cancellationToken: ct)).Succeeded;
}
