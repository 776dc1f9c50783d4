using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Ivpn.Servers;

internal sealed record HostFilter(string? Country, string? City)
{
    public string Describe() => (Country, City) switch
    {
        (null, null) => "any location",
        ({ } c, null) => $"country {c.ToUpperInvariant()}",
        (null, { } city) => $"city {city}",
        ({ } c, { } city) => $"{city}, {c.ToUpperInvariant()}",
    };
}

/// <summary>
/// Picks IVPN WireGuard hosts: by host name (<c>nl3.wg.ivpn.net</c> or its short name), by a server's
/// gateway (its least loaded host), or by country and city, least loaded first; the next hosts for
/// the same request are the alternatives.
/// </summary>
internal static class HostSelector
{
    public static IEnumerable<IvpnHost> Matching(IEnumerable<IvpnHost> hosts, HostFilter filter) =>
        hosts.Where(h => (filter.Country is null || h.CountryCode.Equals(filter.Country.Trim(), StringComparison.OrdinalIgnoreCase))
            && (filter.City is null || h.City.Equals(filter.City.Trim(), StringComparison.OrdinalIgnoreCase)));

    public static List<IvpnHost> List(ServerList list, HostFilter filter, ServerSort sort)
    {
        var rows = sort == ServerSort.Name
            ? Matching(list.Hosts, filter).OrderBy(h => h.Hostname, StringComparer.OrdinalIgnoreCase).ToList()
            // IVPN publishes load only: score and load both mean least loaded first.
            : ByLoad(Matching(list.Hosts, filter));
        return rows.Count > 0 ? rows : throw new ProviderException(NoMatch(list, filter));
    }

    public static (IvpnHost Chosen, IReadOnlyList<IvpnHost> Alternatives) Choose(ServerList list, string? name, HostFilter filter)
    {
        if (name is { Length: > 0 } wanted)
        {
            var w = wanted.Trim();
            var named = list.Hosts.FirstOrDefault(h => h.Hostname.Equals(w, StringComparison.OrdinalIgnoreCase) || h.DnsName.Equals(w, StringComparison.OrdinalIgnoreCase))
                ?? ByLoad(list.Hosts.Where(h => h.Gateway.Equals(w, StringComparison.OrdinalIgnoreCase))).FirstOrDefault()
                ?? throw new ProviderException($"no IVPN WireGuard server is named '{wanted}'; see `tunmux ivpn servers`");
            // A server named by the user stands for its city: the alternatives are its neighbours.
            var neighbours = ByLoad(Matching(list.Hosts, new HostFilter(named.CountryCode, named.City)).Where(h => h != named));
            return (named, neighbours.Take(RankedChoice.MaxAlternatives).ToList());
        }
        var candidates = ByLoad(Matching(list.Hosts, filter));
        if (candidates.Count == 0) throw new ProviderException(NoMatch(list, filter));
        return RankedChoice.Split(candidates);
    }

    private static List<IvpnHost> ByLoad(IEnumerable<IvpnHost> hosts) =>
        [.. hosts.OrderBy(h => h.Load).ThenBy(h => h.Hostname, StringComparer.OrdinalIgnoreCase)];

    private static string NoMatch(ServerList list, HostFilter filter)
    {
        if (list.Hosts.Count == 0) return "the IVPN server list has no WireGuard server; try again later (`tunmux ivpn servers --refresh`)";
        if (filter.Country is { } cc && !list.Hosts.Any(h => h.CountryCode.Equals(cc.Trim(), StringComparison.OrdinalIgnoreCase)))
            return $"no IVPN WireGuard server in country {cc.Trim().ToUpperInvariant()}; countries with servers: {string.Join(", ", list.Hosts.Select(h => h.CountryCode).Distinct().Order())}";
        var cities = list.Hosts.Where(h => filter.Country is null || h.CountryCode.Equals(filter.Country.Trim(), StringComparison.OrdinalIgnoreCase))
            .Select(h => h.City).Distinct().Order();
        return $"no IVPN WireGuard server in {filter.Describe()}; cities: {string.Join(", ", cities)}";
    }
}
