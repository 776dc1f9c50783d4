using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Firewall;

/// <summary>
/// The subnets this machine's links are directly on (the kernel's on-link routes in the main table), which is
/// what <c>--allow-lan</c> lets through. Read once when the rules are made: a network joined later stays
/// blocked until the next connect (fail closed). A subnet wider than /8 (IPv4) or /32 (IPv6) is never taken
/// as local: a hostile DHCP server could otherwise declare half the internet a LAN.
/// </summary>
internal static class LocalSubnets
{
    public const int MinPrefixV4 = 8;
    public const int MinPrefixV6 = 32;

    public static async Task<IReadOnlyList<string>> ReadAsync(SystemCommands commands, IReadOnlySet<string> skipInterfaces, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var family in new[] { "-4", "-6" })
        {
            var json = await commands.IpAsync(null, ["-j", family, "route", "show", "table", "main"], ct);
            found.AddRange(Parse(json, skipInterfaces));
        }
        return found.Distinct().ToList();
    }

    /// <summary>On-link unicast routes (no gateway, no special type) of links other than <paramref name="skipInterfaces"/>.</summary>
    internal static IEnumerable<string> Parse(string json, IReadOnlySet<string> skipInterfaces)
    {
        if (string.IsNullOrWhiteSpace(json)) yield break;
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) yield break;
        foreach (var route in doc.RootElement.EnumerateArray())
        {
            if (route.TryGetProperty("gateway", out _) || route.TryGetProperty("type", out _)) continue;
            if (!route.TryGetProperty("dst", out var dst) || !route.TryGetProperty("dev", out var dev)) continue;
            var device = dev.GetString();
            if (device is null or "lo" || skipInterfaces.Contains(device)) continue;
            var text = dst.GetString();
            // A bare address (a /32 or /128 host route) is a subnet of one.
            if (text is null || text == "default") continue;
            if (!text.Contains('/')) text += IPAddress.TryParse(text, out var host) && host.AddressFamily == AddressFamily.InterNetworkV6 ? "/128" : "/32";
            if (!IPNetwork.TryParse(text, out var net)) continue;
            var v6 = net.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
            if (net.PrefixLength < (v6 ? MinPrefixV6 : MinPrefixV4)) continue;
            yield return net.ToString();
        }
    }
}
