using Tunmux.Contracts;

namespace Tunmux.Plugins.Proton.Servers;

/// <summary>What the user asked for.</summary>
/// <param name="Country">ISO code of the exit country, or null.</param>
/// <param name="City">City, or null.</param>
/// <param name="FreeOnly">Only free-tier servers.</param>
/// <param name="Required">Features every match must have.</param>
public sealed record ServerFilter(string? Country, string? City, bool FreeOnly, ServerFeatures Required)
{
    /// <summary>The filter as command-line flags, for messages.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Country is not null) parts.Add($"--country {Country.ToUpperInvariant()}");
        if (City is not null) parts.Add($"--city \"{City}\"");
        if (FreeOnly) parts.Add("--free");
        if ((Required & ServerFeatures.P2P) != 0) parts.Add("--p2p");
        if ((Required & ServerFeatures.SecureCore) != 0) parts.Add("--secure-core");
        if ((Required & ServerFeatures.Tor) != 0) parts.Add("--tor");
        if ((Required & ServerFeatures.Streaming) != 0) parts.Add("--streaming");
        return parts.Count == 0 ? "no filter" : string.Join(' ', parts);
    }
}

/// <summary>Filtering, ordering and choosing servers, and the suggestions shown when nothing matches.</summary>
public static class ServerSelector
{
    /// <summary>Secure Core and Tor servers are slower; like Proton's apps, they are left out unless asked for.</summary>
    private const ServerFeatures ExcludedUnlessRequested = ServerFeatures.SecureCore | ServerFeatures.Tor;

    public static bool Matches(LogicalServer s, ServerFilter f)
    {
        if (f.Country is { } c && !s.ExitCountry.Equals(c, StringComparison.OrdinalIgnoreCase)) return false;
        if (f.City is { } city && !string.Equals(s.City, city, StringComparison.OrdinalIgnoreCase)) return false;
        if (f.FreeOnly && s.Tier != Tiers.Free) return false;
        if ((s.Features & f.Required) != f.Required) return false;
        var excluded = ExcludedUnlessRequested & ~f.Required;
        return (s.Features & excluded) == 0;
    }

    /// <summary>Best first: lower score, then lower load, then name.</summary>
    public static int Compare(LogicalServer a, LogicalServer b)
    {
        var c = a.Score.CompareTo(b.Score);
        if (c != 0) return c;
        c = a.Load.CompareTo(b.Load);
        return c != 0 ? c : CompareNames(a, b);
    }

    /// <summary>Least loaded first, then by score.</summary>
    public static int CompareLoad(LogicalServer a, LogicalServer b)
    {
        var c = a.Load.CompareTo(b.Load);
        return c != 0 ? c : Compare(a, b);
    }

    /// <summary>By name, numbers in names by value (US#2 before US#10).</summary>
    public static int CompareNames(LogicalServer a, LogicalServer b)
    {
        var (pa, na) = SplitNumber(a.Name);
        var (pb, nb) = SplitNumber(b.Name);
        var c = string.Compare(pa, pb, StringComparison.OrdinalIgnoreCase);
        if (c != 0) return c;
        c = na.CompareTo(nb);
        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    }

    private static (string Prefix, long Number) SplitNumber(string name)
    {
        var hash = name.LastIndexOf('#');
        return hash >= 0 && long.TryParse(name.AsSpan(hash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? (name[..hash], n)
            : (name, -1);
    }

    /// <summary>The matching servers a connect may use (online, within the tier), best first by <paramref name="order"/>.</summary>
    public static List<LogicalServer> Usable(IReadOnlyList<LogicalServer> all, ServerFilter filter, int? maxTier, Comparison<LogicalServer> order)
    {
        var usable = Select(all, filter).Where(s => s.IsOnline && IsAvailable(s, maxTier)).ToList();
        usable.Sort(order);
        return usable;
    }

    /// <summary>The matching servers, best first.</summary>
    public static List<LogicalServer> Select(IReadOnlyList<LogicalServer> all, ServerFilter filter)
    {
        var result = new List<LogicalServer>();
        foreach (var s in all)
            if (Matches(s, filter)) result.Add(s);
        result.Sort(Compare);
        return result;
    }

    public static bool IsAvailable(LogicalServer s, int? maxTier) => maxTier is not { } t || s.Tier <= t;

    /// <summary>The best online server within the tier, or an error naming close alternatives.</summary>
    public static LogicalServer ChooseBest(IReadOnlyList<LogicalServer> all, ServerFilter filter, int? maxTier)
    {
        var matches = Select(all, filter);
        foreach (var s in matches)
            if (s.IsOnline && IsAvailable(s, maxTier)) return s;
        throw new ProviderException(NothingMatches(all, filter, matches, maxTier));
    }

    /// <summary>Finds a server by name (<c>US#1</c>, also written <c>us-1</c>), or an error listing close names.</summary>
    public static LogicalServer FindByName(IReadOnlyList<LogicalServer> all, string name)
    {
        var wanted = Normalize(name);
        foreach (var s in all)
            if (Normalize(s.Name) == wanted) return s;
        var close = all.Select(s => (s.Name, Distance: Levenshtein(Normalize(s.Name), wanted)))
            .Where(x => x.Distance <= Math.Max(2, wanted.Length / 3))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).Take(5).Select(x => x.Name).ToList();
        return close.Count == 0
            ? throw new ProviderException($"no Proton server is named '{name}'; list them with `tunmux proton servers`")
            : throw new ProviderException($"no Proton server is named '{name}'; did you mean {string.Join(", ", close)}?");
    }

    /// <summary>Checks a server chosen by name can be used.</summary>
    public static void EnsureUsable(LogicalServer s, int? maxTier)
    {
        if (!IsAvailable(s, maxTier))
            throw new ProviderException($"{s.Name} needs the {Tiers.Name(s.Tier)} tier but the account has {Tiers.Name(maxTier ?? 0)}; pick another server (`tunmux proton servers --country {s.ExitCountry}`)");
        if (!s.IsOnline)
            throw new ProviderException($"{s.Name} is in maintenance or has no WireGuard endpoint; pick another server (`tunmux proton servers --country {s.ExitCountry}`)");
    }

    private static string NothingMatches(IReadOnlyList<LogicalServer> all, ServerFilter filter, List<LogicalServer> matches, int? maxTier)
    {
        if (filter.Country is { } country && !all.Any(s => s.ExitCountry.Equals(country, StringComparison.OrdinalIgnoreCase)))
        {
            var codes = all.Select(s => s.ExitCountry.ToUpperInvariant()).Distinct()
                .OrderBy(c => Levenshtein(c, country.ToUpperInvariant())).ThenBy(c => c, StringComparer.Ordinal).Take(5);
            return $"Proton has no server in country '{country.ToUpperInvariant()}'; close codes: {string.Join(", ", codes)}";
        }

        if (matches.Count > 0)
        {
            var why = matches.All(s => !IsAvailable(s, maxTier))
                ? $"all {matches.Count} need a higher tier than the account's ({Tiers.Name(maxTier ?? 0)})"
                : "none is online within the account's tier";
            return $"no usable Proton server for {filter.Describe()}: {why}; try other filters or `tunmux proton servers`";
        }

        // Relax the filter step by step to find something close.
        var relaxed = filter with { City = null, Required = ServerFeatures.None, FreeOnly = false };
        var near = Select(all, relaxed).Where(s => s.IsOnline && IsAvailable(s, maxTier)).Take(3).Select(s => s.Name).ToList();
        var hint = near.Count > 0 ? $"; close matches: {string.Join(", ", near)}" : "";
        if (filter.City is { } city && filter.Country is not null)
        {
            var cities = all.Where(s => s.ExitCountry.Equals(filter.Country, StringComparison.OrdinalIgnoreCase) && s.City is not null)
                .Select(s => s.City!).Distinct(StringComparer.OrdinalIgnoreCase)
                .OrderBy(c => Levenshtein(c.ToLowerInvariant(), city.ToLowerInvariant())).Take(5).ToList();
            if (cities.Count > 0) hint += $"; cities there: {string.Join(", ", cities)}";
        }
        return $"no Proton server matches {filter.Describe()}{hint}";
    }

    private static string Normalize(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        // "us-1" (the instance spelling) means "US#1".
        var dash = upper.LastIndexOf('-');
        if (!upper.Contains('#') && dash > 0 && dash < upper.Length - 1 && upper[(dash + 1)..].All(char.IsAsciiDigit))
            upper = upper[..dash] + "#" + upper[(dash + 1)..];
        return upper;
    }

    internal static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>The row shown by <c>servers</c>.</summary>
    public static ServerInfo ToInfo(LogicalServer s, int? maxTier)
    {
        var features = new List<string>(4);
        if (s.Tier == Tiers.Free) features.Add("free");
        if (s.Has(ServerFeatures.P2P)) features.Add("p2p");
        if (s.Has(ServerFeatures.SecureCore)) features.Add("secure-core");
        if (s.Has(ServerFeatures.Tor)) features.Add("tor");
        if (s.Has(ServerFeatures.Streaming)) features.Add("streaming");
        if (s.Has(ServerFeatures.Ipv6)) features.Add("ipv6");
        var extra = new List<KeyValuePair<string, string>>(2) { new("Tier", Tiers.Name(s.Tier)) };
        if (s.Has(ServerFeatures.SecureCore) && s.EntryCountry is { } entry) extra.Add(new("Via", entry));
        var machine = s.BestPhysical;
        return new ServerInfo
        {
            Name = s.Name,
            EntryHost = machine?.EntryIp,
            EntryPort = machine is null ? null : Connect.ProfileBuilder.Port,
            Country = s.ExitCountry,
            City = s.City,
            Load = s.Load,
            Score = Math.Round(s.Score, 4),
            Online = s.IsOnline,
            Available = IsAvailable(s, maxTier),
            Features = features,
            Extra = extra,
        };
    }
}
