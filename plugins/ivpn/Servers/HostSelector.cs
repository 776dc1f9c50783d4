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

/// <summary>What a connect chooses from: the host the user named (if any) and the others in the order to try them.</summary>
internal sealed record HostCandidates(IvpnHost? Named, IReadOnlyList<IvpnHost> Ranked)
{
    /// <summary>The host to connect to and up to three alternatives, best first.</summary>
    public (IvpnHost Chosen, IReadOnlyList<IvpnHost> Alternatives) Split() =>
        Named is null ? RankedChoice.Split(Ranked) : (Named, Ranked.Take(RankedChoice.MaxAlternatives).ToList());
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

    /// <summary>
    /// The hosts a connect may use, in the order it tries them: a host named by the user first (or the
    /// least loaded host of a server named by its gateway), then the others of its city; else the hosts
    /// at the asked location. Least loaded first by default (score and load alike: IVPN publishes load
    /// only), by name in name order; for latency the caller measures and reorders them.
    /// </summary>
    public static HostCandidates Candidates(ServerList list, string? name, HostFilter filter, ServerSort? sort)
    {
        if (name is { Length: > 0 } wanted)
        {
            var w = wanted.Trim();
            var named = list.Hosts.FirstOrDefault(h => h.Hostname.Equals(w, StringComparison.OrdinalIgnoreCase) || h.DnsName.Equals(w, StringComparison.OrdinalIgnoreCase))
                ?? ByLoad(list.Hosts.Where(h => h.Gateway.Equals(w, StringComparison.OrdinalIgnoreCase))).FirstOrDefault()
                ?? throw new ProviderException($"no IVPN WireGuard server is named '{wanted}'; see `tunmux ivpn servers`");
            // A server named by the user stands for its city: the alternatives are its neighbours.
            return new HostCandidates(named, Rank(Matching(list.Hosts, new HostFilter(named.CountryCode, named.City)).Where(h => h != named), sort));
        }
        var candidates = Rank(Matching(list.Hosts, filter), sort);
        if (candidates.Count == 0) throw new ProviderException(NoMatch(list, filter));
        return new HostCandidates(null, candidates);
    }

    private static List<IvpnHost> Rank(IEnumerable<IvpnHost> hosts, ServerSort? sort) => sort == ServerSort.Name
        ? [.. hosts.OrderBy(h => h.Hostname, StringComparer.OrdinalIgnoreCase)]
        : ByLoad(hosts);

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
