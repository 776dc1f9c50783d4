using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>
/// <c>--sort latency</c>: the host's probe measures the candidates' entries (all at once, within one
/// budget) and the candidates are reordered by round trip. Entries that did not answer keep their
/// previous order after the measured ones, so an unmeasurable network still gets the provider's order.
/// </summary>
internal static class LatencyRanking
{
    /// <summary>How long a listing or a connect waits for the measurements in total.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    /// <summary>
    /// <paramref name="ranked"/> reordered by the round trip to each one's entry (<paramref name="entry"/>:
    /// host and WireGuard port), with the round trips by item (null where nothing answered).
    /// </summary>
    public static async Task<(List<T> Ordered, IReadOnlyDictionary<T, TimeSpan?> RoundTrips)> OrderAsync<T>(
        IReadOnlyList<T> ranked, Func<T, (string Host, int Port)> entry, ILatencyProbe probe, IPluginLogger log, CancellationToken ct)
        where T : notnull
    {
        var targets = ranked.Select((item, i) =>
        {
            var (host, port) = entry(item);
            return new LatencyTarget(i.ToString(System.Globalization.CultureInfo.InvariantCulture), host, port);
        }).ToList();
        var results = await probe.MeasureAsync(targets, Budget, ct).ConfigureAwait(false);
        var byKey = results.ToDictionary(r => r.Key, r => r.RoundTrip);
        var trips = new Dictionary<T, TimeSpan?>();
        for (var i = 0; i < ranked.Count; i++) trips[ranked[i]] = byKey.GetValueOrDefault(targets[i].Key);
        var measured = trips.Count(kv => kv.Value is not null);
        log.Debug("Measured {Measured} of {Count} entries within {Budget} s", measured, ranked.Count, Budget.TotalSeconds);
        if (measured == 0 && ranked.Count > 0)
            log.Warning("No server answered the latency probe; keeping the provider's order");
        // OrderBy is stable: equal (and unmeasured) entries keep the provider's order.
        var ordered = ranked.OrderBy(item => trips[item] ?? TimeSpan.MaxValue).ToList();
        return (ordered, trips);
    }
}
