using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>
/// <c>connect --sort latency</c>: the candidates a provider ranked, measured by the host's probe
/// (<see cref="IProviderContext.Latency"/>) and put in order of round trip. Only the best
/// <see cref="MaxProbed"/> of the provider's own order are measured, within <see cref="Budget"/>;
/// the rest, and those that did not answer, follow in the provider's order.
/// </summary>
internal static class LatencyRanking
{
    public const int MaxProbed = 32;
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    /// <param name="probe">The host's probe.</param>
    /// <param name="ranked">Candidates, best first by the provider's own measure.</param>
    /// <param name="name">A candidate's name (the key of its measurement).</param>
    /// <param name="entry">Its entry host and WireGuard port, or null when it has none to measure.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<T>> OrderAsync<T>(ILatencyProbe probe, IReadOnlyList<T> ranked, Func<T, string> name,
        Func<T, (string Host, int Port)?> entry, CancellationToken ct)
    {
        var probed = ranked.Take(MaxProbed).Select((item, i) => (Item: item, Index: i, Entry: entry(item))).Where(x => x.Entry is not null).ToList();
        var targets = probed.Select(x => new LatencyTarget(x.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + name(x.Item), x.Entry!.Value.Host, x.Entry.Value.Port)).ToList();
        var results = await probe.MeasureAsync(targets, Budget, ct).ConfigureAwait(false);
        var roundTrips = new Dictionary<int, TimeSpan>();
        for (var i = 0; i < probed.Count && i < results.Count; i++)
            if (results[i].RoundTrip is { } rtt) roundTrips[probed[i].Index] = rtt;
        return ranked.Select((item, i) => (item, i))
            .OrderBy(x => roundTrips.TryGetValue(x.i, out var rtt) ? rtt : TimeSpan.MaxValue)
            .ThenBy(x => x.i)
            .Select(x => x.item)
            .ToList();
    }
}
