using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Mullvad.Relays;

/// <summary>One WireGuard relay, with its place resolved from the list's <c>locations</c>.</summary>
internal sealed record Relay(
    string Hostname,
    string CountryCode,
    string CityCode,
    string Country,
    string City,
    bool Active,
    bool Owned,
    string Provider,
    string Ipv4AddrIn,
    string? Ipv6AddrIn,
    string PublicKey,
    long Weight,
    bool IncludeInCountry,
    bool Daita);

/// <summary>The WireGuard part of Mullvad's relay list.</summary>
internal sealed record RelayList(IReadOnlyList<Relay> Relays, PortRanges Ports, string Ipv4Gateway, string? Ipv6Gateway, int Discarded);

/// <summary>
/// Reads <c>GET app/v1/relays</c> (mullvad-api/src/relay_list.rs: <c>locations</c> keyed
/// <c>&lt;country&gt;-&lt;city&gt;</c>; <c>wireguard</c> with <c>port_ranges</c>, <c>ipv4_gateway</c>,
/// <c>ipv6_gateway</c> and <c>relays</c>). Like Mullvad's own client, a malformed relay entry is
/// discarded alone instead of failing the whole list; a list without its WireGuard part is an error.
/// </summary>
internal static class RelayListParser
{
    public static RelayList Parse(byte[] json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("wireguard", out var wg) || wg.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("locations", out var locations) || locations.ValueKind != JsonValueKind.Object)
                throw Bad(source, "no wireguard or locations section");

            var places = new Dictionary<string, (string Country, string City)>(StringComparer.OrdinalIgnoreCase);
            foreach (var location in locations.EnumerateObject())
            {
                if (location.Value.ValueKind != JsonValueKind.Object) continue;
                places[location.Name] = (Text(location.Value, "country") ?? location.Name, Text(location.Value, "city") ?? location.Name);
            }

            var ranges = new List<(int, int)>();
            if (wg.TryGetProperty("port_ranges", out var portRanges) && portRanges.ValueKind == JsonValueKind.Array)
            {
                foreach (var range in portRanges.EnumerateArray())
                {
                    if (range.ValueKind == JsonValueKind.Array && range.GetArrayLength() == 2
                        && range[0].TryGetInt32(out var from) && range[1].TryGetInt32(out var to) && PortRanges.Valid(from, to) is { } valid)
                        ranges.Add(valid);
                }
            }
            if (ranges.Count == 0) throw Bad(source, "no WireGuard port ranges");

            var gateway = Text(wg, "ipv4_gateway");
            if (gateway is null || !IPAddress.TryParse(gateway, out var gw) || gw.AddressFamily != AddressFamily.InterNetwork)
                throw Bad(source, "no IPv4 gateway");
            var gateway6 = Text(wg, "ipv6_gateway") is { } g6 && IPAddress.TryParse(g6, out var ip6) && ip6.AddressFamily == AddressFamily.InterNetworkV6 ? g6 : null;

            var relays = new List<Relay>();
            var discarded = 0;
            if (wg.TryGetProperty("relays", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                {
                    if (ReadRelay(item, places) is { } relay) relays.Add(relay);
                    else discarded++;
                }
            }
            return new RelayList(relays, new PortRanges(ranges), gateway, gateway6, discarded);
        }
        catch (JsonException)
        {
            throw Bad(source, "not JSON");
        }
    }

    private static Relay? ReadRelay(JsonElement e, Dictionary<string, (string Country, string City)> places)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        var hostname = Text(e, "hostname");
        var location = Text(e, "location");
        var ipv4 = Text(e, "ipv4_addr_in");
        var key = Text(e, "public_key");
        if (string.IsNullOrWhiteSpace(hostname) || location is null || !WireGuardKeys.IsKey(key)) return null;
        if (ipv4 is null || !IPAddress.TryParse(ipv4, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork) return null;
        var dash = location.IndexOf('-');
        if (dash <= 0 || dash == location.Length - 1 || !places.TryGetValue(location, out var place)) return null;
        var ipv6 = Text(e, "ipv6_addr_in") is { } v6 && IPAddress.TryParse(v6, out var ip6) && ip6.AddressFamily == AddressFamily.InterNetworkV6 ? v6 : null;
        return new Relay(
            hostname.Trim(),
            location[..dash].ToUpperInvariant(),
            location[(dash + 1)..].ToLowerInvariant(),
            place.Country,
            place.City,
            Bool(e, "active") ?? false,
            Bool(e, "owned") ?? false,
            Text(e, "provider") ?? "",
            ipv4,
            ipv6,
            key!,
            e.TryGetProperty("weight", out var w) && w.TryGetInt64(out var weight) ? weight : 0,
            Bool(e, "include_in_country") ?? true,
            Bool(e, "daita") ?? false);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static ProviderException Bad(string source, string what) =>
        new($"the Mullvad relay list from {source} cannot be read ({what}); run `tunmux mullvad servers --refresh`, or check api_url");
}
