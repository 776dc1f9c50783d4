using Tunmux.Contracts;

namespace Tunmux.Host.Latency;

/// <summary>
/// <c>servers --sort latency</c> for every provider: the host measures each row's entry
/// (<see cref="ServerInfo.EntryHost"/>, <see cref="ServerInfo.EntryPort"/>) unless the provider did,
/// and orders the rows by round trip; rows not measured (no entry, no answer, or beyond the first
/// <see cref="MaxMeasured"/> of the provider's order) follow in the provider's order.
/// </summary>
internal static class ServerLatency
{
    /// <summary>Rows measured at most, the provider's best first: a full Proton list has thousands.</summary>
    public const int MaxMeasured = 512;

    /// <summary>Time for all measurements together.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public static async Task<IReadOnlyList<ServerInfo>> OrderAsync(ILatencyProbe probe, IReadOnlyList<ServerInfo> rows, CancellationToken ct)
    {
        var measured = rows.Select((row, index) => (row, index))
            .Where(x => x.row.Latency is null && x.row.EntryHost is { Length: > 0 })
            .Take(MaxMeasured).ToList();
        var targets = measured.Select(x => new LatencyTarget(x.index.ToString(System.Globalization.CultureInfo.InvariantCulture), x.row.EntryHost!, x.row.EntryPort ?? 0)).ToList();
        var results = await probe.MeasureAsync(targets, Budget, ct).ConfigureAwait(false);

        var updated = rows.ToArray();
        for (var i = 0; i < measured.Count && i < results.Count; i++)
            if (results[i].RoundTrip is { } rtt) updated[measured[i].index] = measured[i].row with { Latency = rtt };
        return updated.Select((row, index) => (row, index))
            .OrderBy(x => x.row.Latency ?? TimeSpan.MaxValue)
            .ThenBy(x => x.index)
            .Select(x => x.row).ToList();
    }
}
