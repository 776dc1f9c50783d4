using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Mullvad.Relays;

/// <summary>What a user asked for: a country, a city (code or name) or both.</summary>
internal sealed record RelayFilter(string? Country, string? City)
{
    public string Describe() =>
        (Country, City) switch
        {
            (null, null) => "any location",
            ({ } c, null) => $"country {c.ToUpperInvariant()}",
            (null, { } city) => $"city {city}",
            ({ } c, { } city) => $"{city}, {c.ToUpperInvariant()}",
        };
}

/// <summary>What a connect chooses from: the relay the user named (if any) and the others in the order to try them.</summary>
internal sealed record RelayCandidates(Relay? Named, IReadOnlyList<Relay> Ranked)
{
    /// <summary>The relay to connect to and up to three alternatives, best first.</summary>
    public (Relay Chosen, IReadOnlyList<Relay> Alternatives) Split() =>
        Named is null ? RankedChoice.Split(Ranked) : (Named, Ranked.Take(RankedChoice.MaxAlternatives).ToList());
}

/// <summary>
/// Picks Mullvad relays the way its relay selector does: active WireGuard relays at the asked
/// location, drawn at random in proportion to their <c>weight</c> (so clients spread over the
/// relays as Mullvad intends); relays marked <c>include_in_country: false</c> are left out of a
/// country-wide choice but can be picked by city or by name.
/// </summary>
internal static class RelaySelector
{
    public static IEnumerable<Relay> Matching(IEnumerable<Relay> relays, RelayFilter filter) =>
        relays.Where(r => r.Active
            && (filter.Country is null || r.CountryCode.Equals(filter.Country.Trim(), StringComparison.OrdinalIgnoreCase))
            && (filter.City is null || IsCity(r, filter.City)));

    /// <summary>The rows of <c>servers</c>, in the order asked.</summary>
    public static List<Relay> List(RelayList list, RelayFilter filter, ServerSort sort)
    {
        var rows = Matching(list.Relays, filter);
        rows = sort == ServerSort.Name
            ? rows.OrderBy(r => r.Hostname, StringComparer.OrdinalIgnoreCase)
            // Mullvad publishes no load: its weight is the only ranking it gives, so score and load both use it.
            : rows.OrderByDescending(r => r.Weight).ThenBy(r => r.Hostname, StringComparer.OrdinalIgnoreCase);
        var result = rows.ToList();
        if (result.Count == 0) throw new ProviderException(NoMatch(list, filter));
        return result;
    }

    /// <summary>
    /// The relays a connect may use, in the order it tries them: a relay named by the user first, then
    /// the others of its city; else the active relays at the asked location. By default (and for score
    /// and load, since Mullvad publishes no load) in a weighted random order as Mullvad's relay selector
    /// draws them; by name in name order. For latency the caller measures and reorders them.
    /// </summary>
    public static RelayCandidates Candidates(RelayList list, string? hostname, RelayFilter filter, ServerSort? sort, Random random)
    {
        if (hostname is { Length: > 0 } name)
        {
            var named = list.Relays.FirstOrDefault(r => r.Hostname.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new ProviderException($"no Mullvad WireGuard relay is named '{name}'; see `tunmux mullvad servers`");
            if (!named.Active) throw new ProviderException($"the Mullvad relay {named.Hostname} is not active now; pick another (`tunmux mullvad servers --city {named.CityCode}`)");
            // A relay named by the user stands for its city: the alternatives are its neighbours.
            return new RelayCandidates(named, Rank(Matching(list.Relays, new RelayFilter(named.CountryCode, named.CityCode)).Where(r => r != named), sort, random));
        }

        var candidates = Matching(list.Relays, filter).Where(r => filter.City is not null || r.IncludeInCountry).ToList();
        if (candidates.Count == 0) throw new ProviderException(NoMatch(list, filter));
        return new RelayCandidates(null, Rank(candidates, sort, random));
    }

    private static List<Relay> Rank(IEnumerable<Relay> relays, ServerSort? sort, Random random) => sort == ServerSort.Name
        ? [.. relays.OrderBy(r => r.Hostname, StringComparer.OrdinalIgnoreCase)]
        : RankedChoice.WeightedOrder(relays, r => r.Weight, random);

    private static bool IsCity(Relay r, string city)
    {
        var c = city.Trim();
        return r.CityCode.Equals(c, StringComparison.OrdinalIgnoreCase) || r.City.Equals(c, StringComparison.OrdinalIgnoreCase);
    }

    private static string NoMatch(RelayList list, RelayFilter filter)
    {
        var active = list.Relays.Where(r => r.Active).ToList();
        if (active.Count == 0) return "the Mullvad relay list has no active WireGuard relay; try again later (`tunmux mullvad servers --refresh`)";
        if (filter.Country is { } cc && !active.Any(r => r.CountryCode.Equals(cc.Trim(), StringComparison.OrdinalIgnoreCase)))
        {
            var countries = active.Select(r => r.CountryCode).Distinct().Order().ToList();
            return $"no active Mullvad WireGuard relay in country {cc.Trim().ToUpperInvariant()}; countries with relays: {string.Join(", ", countries.Take(60))}";
        }
        var cities = active.Where(r => filter.Country is null || r.CountryCode.Equals(filter.Country.Trim(), StringComparison.OrdinalIgnoreCase))
            .Select(r => $"{r.City} ({r.CityCode})").Distinct().Order().ToList();
        return $"no active Mullvad WireGuard relay in {filter.Describe()}; cities: {string.Join(", ", cities.Take(40))}";
    }
}
