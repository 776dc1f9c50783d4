using System.Text.Json.Nodes;

namespace Tunmux.Fakes.Ivpn;

/// <summary>One WireGuard host for <see cref="ServersJsonBuilder"/>.</summary>
public sealed record FakeHost(string Hostname, string Host, string PublicKey, string LocalIp)
{
    public double Load { get; init; } = 10;
}

/// <summary>
/// A <c>servers.json</c> in the shape of <c>GET v5/servers.json</c> (ivpn/desktop-app daemon/api/types/servers.go:
/// <c>wireguard</c> servers with <c>gateway</c>, <c>country_code</c>, <c>country</c>, <c>city</c>, <c>latitude</c>,
/// <c>longitude</c>, <c>isp</c> and <c>hosts</c>; <c>openvpn</c>; <c>config</c> with <c>antitracker</c>, <c>api</c>
/// and <c>ports</c>, whose <c>wireguard</c> entries are <c>{type, port}</c> or <c>{type, range: {min, max}}</c>).
/// </summary>
public sealed class ServersJsonBuilder
{
    private readonly List<(string Gateway, string Cc, string Country, string City, List<FakeHost> Hosts)> _servers = [];

    public List<JsonObject> WireGuardPorts { get; } =
    [
        new() { ["type"] = "UDP", ["port"] = 2049 },
        new() { ["type"] = "UDP", ["port"] = 2050 },
        new() { ["type"] = "UDP", ["port"] = 53 },
        new() { ["type"] = "UDP", ["port"] = 51820 },
        new() { ["type"] = "UDP", ["range"] = new JsonObject { ["min"] = 30587, ["max"] = 30607 } },
    ];

    public ServersJsonBuilder Server(string gateway, string countryCode, string country, string city, params FakeHost[] hosts)
    {
        _servers.Add((gateway, countryCode, country, city, [.. hosts]));
        return this;
    }

    public string Build()
    {
        var wireguard = new JsonArray();
        foreach (var s in _servers)
        {
            var hosts = new JsonArray();
            foreach (var h in s.Hosts)
            {
                hosts.Add(new JsonObject
                {
                    ["hostname"] = h.Hostname,
                    ["host"] = h.Host,
                    ["public_key"] = h.PublicKey,
                    ["local_ip"] = h.LocalIp + "/12",
                    ["ipv6"] = new JsonObject { ["local_ip"] = "fd00:4956:504e:ffff::1/96", ["host"] = "", ["multihop_port"] = 0 },
                    ["dns_name"] = h.Hostname.Replace(".wg.", ".") ,
                    ["multihop_port"] = 20000,
                    ["load"] = h.Load,
                    ["v2ray"] = "",
                });
            }
            wireguard.Add(new JsonObject
            {
                ["gateway"] = s.Gateway,
                ["country_code"] = s.Cc,
                ["country"] = s.Country,
                ["city"] = s.City,
                ["latitude"] = 52.35,
                ["longitude"] = 4.9,
                ["isp"] = "Datapacket",
                ["hosts"] = hosts,
            });
        }
        var ports = new JsonArray();
        foreach (var p in WireGuardPorts) ports.Add(p.DeepClone());
        return new JsonObject
        {
            ["wireguard"] = wireguard,
            ["openvpn"] = new JsonArray(),
            ["config"] = new JsonObject
            {
                ["antitracker"] = new JsonObject { ["default"] = new JsonObject { ["ip"] = "10.0.254.2" }, ["hardcore"] = new JsonObject { ["ip"] = "10.0.254.3" } },
                ["api"] = new JsonObject { ["ips"] = new JsonArray("198.51.100.1"), ["ipv6s"] = new JsonArray() },
                ["ports"] = new JsonObject { ["openvpn"] = new JsonArray(), ["wireguard"] = ports },
            },
        }.ToJsonString();
    }
}
