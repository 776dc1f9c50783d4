using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Ivpn.Servers;

/// <summary>One WireGuard host of an IVPN server (location).</summary>
internal sealed record IvpnHost(string Hostname, string DnsName, string Gateway, string CountryCode, string Country, string City,
    string Host, string PublicKey, string LocalIp, double Load, string? Isp);

/// <summary>The WireGuard part of <c>servers.json</c>: hosts and the UDP ports WireGuard accepts.</summary>
internal sealed record ServerList(IReadOnlyList<IvpnHost> Hosts, PortRanges Ports, int Discarded);

/// <summary>
/// Reads <c>GET v5/servers.json</c> (daemon/api/types/servers.go: <c>wireguard</c> servers with <c>gateway</c>,
/// <c>country_code</c>, <c>country</c>, <c>city</c>, <c>hosts</c> of <c>hostname</c>, <c>host</c>, <c>dns_name</c>,
/// <c>public_key</c>, <c>local_ip</c>, <c>load</c>; <c>config.ports.wireguard</c> of <c>type</c> with <c>port</c> or
/// <c>range</c> {min, max}). A malformed host is discarded alone; a list without its WireGuard part is an error.
/// </summary>
internal static class ServerListParser
{
    public static ServerList Parse(byte[] json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("wireguard", out var servers) || servers.ValueKind != JsonValueKind.Array)
                throw Bad(source, "no wireguard servers");

            var ports = new List<(int, int)>();
            if (root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
                && config.TryGetProperty("ports", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("wireguard", out var wgPorts) && wgPorts.ValueKind == JsonValueKind.Array)
            {
                foreach (var port in wgPorts.EnumerateArray())
                {
                    if (port.ValueKind != JsonValueKind.Object || !string.Equals(Text(port, "type"), "udp", StringComparison.OrdinalIgnoreCase)) continue;
                    if (port.TryGetProperty("port", out var single) && single.TryGetInt32(out var n) && PortRanges.Valid(n, n) is { } one) ports.Add(one);
                    else if (port.TryGetProperty("range", out var range) && range.ValueKind == JsonValueKind.Object
                        && range.TryGetProperty("min", out var min) && min.TryGetInt32(out var lo)
                        && range.TryGetProperty("max", out var max) && max.TryGetInt32(out var hi) && PortRanges.Valid(lo, hi) is { } valid)
                        ports.Add(valid);
                }
            }
            if (ports.Count == 0) throw Bad(source, "no WireGuard UDP ports");

            var hosts = new List<IvpnHost>();
            var discarded = 0;
            foreach (var server in servers.EnumerateArray())
            {
                if (server.ValueKind != JsonValueKind.Object || !server.TryGetProperty("hosts", out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    discarded++;
                    continue;
                }
                var gateway = Text(server, "gateway") ?? "";
                var cc = (Text(server, "country_code") ?? "").ToUpperInvariant();
                if (cc.Length != 2)
                {
                    discarded += list.GetArrayLength();
                    continue;
                }
                foreach (var h in list.EnumerateArray())
                {
                    if (ReadHost(h, gateway, cc, Text(server, "country") ?? cc, Text(server, "city") ?? "", Text(server, "isp")) is { } host) hosts.Add(host);
                    else discarded++;
                }
            }
            return new ServerList(hosts, new PortRanges(ports), discarded);
        }
        catch (JsonException)
        {
            throw Bad(source, "not JSON");
        }
    }

    private static IvpnHost? ReadHost(JsonElement h, string gateway, string cc, string country, string city, string? isp)
    {
        if (h.ValueKind != JsonValueKind.Object) return null;
        var hostname = Text(h, "hostname");
        var address = Text(h, "host");
        var key = Text(h, "public_key");
        var localIp = Text(h, "local_ip");
        if (string.IsNullOrWhiteSpace(hostname) || !WireGuardKeys.IsKey(key)) return null;
        if (address is null || !IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork) return null;
        if (localIp is null || !IPAddress.TryParse(localIp.Split('/')[0], out var local) || local.AddressFamily != AddressFamily.InterNetwork) return null;
        var load = h.TryGetProperty("load", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetDouble() : 0;
        return new IvpnHost(hostname.Trim(), Text(h, "dns_name") ?? hostname, gateway, cc, country, city, address, key!, localIp.Split('/')[0],
            Math.Round(load, 1), Text(h, "isp") ?? isp);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static ProviderException Bad(string source, string what) =>
        new($"the IVPN server list from {source} cannot be read ({what}); run `tunmux ivpn servers --refresh`, or check api_url");

    public static string Percent(double load) => load.ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
