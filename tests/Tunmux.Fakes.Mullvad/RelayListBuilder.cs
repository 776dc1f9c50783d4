using System.Text.Json.Nodes;

namespace Tunmux.Fakes.Mullvad;

/// <summary>One relay for <see cref="RelayListBuilder"/>.</summary>
public sealed record FakeRelay(string Hostname, string Location, string Ipv4AddrIn, string PublicKey)
{
    public bool Active { get; init; } = true;
    public bool Owned { get; init; } = true;
    public string Provider { get; init; } = "31173";
    public long Weight { get; init; } = 100;
    public bool IncludeInCountry { get; init; } = true;
    public string? Ipv6AddrIn { get; init; }
}

/// <summary>
/// A relay list in the shape of <c>GET app/v1/relays</c>, field for field as in the app's own mock
/// API resource (mullvadvpn-app android/test/mockapi/src/main/res/raw/relay_list.json): <c>locations</c>
/// keyed <c>cc-city</c>; <c>wireguard</c> with <c>port_ranges</c> as pairs, <c>shadowsocks_port_ranges</c>,
/// <c>ipv4_gateway</c>, <c>ipv6_gateway</c> and <c>relays</c>; <c>openvpn</c> and <c>bridge</c> parts.
/// </summary>
public sealed class RelayListBuilder
{
    private readonly Dictionary<string, (string Country, string City)> _locations = [];
    private readonly List<FakeRelay> _relays = [];

    public string Ipv4Gateway { get; set; } = "10.64.0.1";
    public string Ipv6Gateway { get; set; } = "fc00:bbbb:bbbb:bb01::1";
    public List<(int From, int To)> PortRanges { get; } = [(53, 53), (123, 123), (4000, 33433), (33565, 51820), (52001, 60000)];

    public RelayListBuilder Location(string code, string country, string city)
    {
        _locations[code] = (country, city);
        return this;
    }

    public RelayListBuilder Relay(FakeRelay relay)
    {
        _relays.Add(relay);
        return this;
    }

    public string Build()
    {
        var locations = new JsonObject();
        foreach (var (code, (country, city)) in _locations)
            locations[code] = new JsonObject { ["country"] = country, ["city"] = city, ["latitude"] = 52.35, ["longitude"] = 4.916667 };
        var relays = new JsonArray();
        foreach (var r in _relays)
        {
            var relay = new JsonObject
            {
                ["hostname"] = r.Hostname,
                ["location"] = r.Location,
                ["active"] = r.Active,
                ["owned"] = r.Owned,
                ["provider"] = r.Provider,
                ["stboot"] = true,
                ["ipv4_addr_in"] = r.Ipv4AddrIn,
                ["include_in_country"] = r.IncludeInCountry,
                ["weight"] = r.Weight,
                ["public_key"] = r.PublicKey,
                ["shadowsocks_extra_addr_in"] = new JsonArray(),
            };
            if (r.Ipv6AddrIn is not null) relay["ipv6_addr_in"] = r.Ipv6AddrIn;
            relays.Add(relay);
        }
        var ports = new JsonArray();
        foreach (var (from, to) in PortRanges) ports.Add(new JsonArray(from, to));
        return new JsonObject
        {
            ["locations"] = locations,
            ["openvpn"] = new JsonObject { ["relays"] = new JsonArray(), ["ports"] = new JsonArray() },
            ["wireguard"] = new JsonObject
            {
                ["relays"] = relays,
                ["port_ranges"] = ports,
                ["shadowsocks_port_ranges"] = new JsonArray(new JsonArray(51900, 51949)),
                ["ipv4_gateway"] = Ipv4Gateway,
                ["ipv6_gateway"] = Ipv6Gateway,
            },
            ["bridge"] = new JsonObject { ["relays"] = new JsonArray(), ["shadowsocks"] = new JsonArray() },
        }.ToJsonString();
    }
}
