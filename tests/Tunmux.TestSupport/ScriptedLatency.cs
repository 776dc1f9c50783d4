using Tunmux.Contracts;

namespace Tunmux.TestSupport;

/// <summary>A latency probe answering from a table of entry hosts, and remembering what it was asked.</summary>
public sealed class ScriptedLatency(IReadOnlyDictionary<string, TimeSpan> roundTrips) : ILatencyProbe
{
    public List<LatencyTarget> Asked { get; } = [];

    public Task<IReadOnlyList<LatencyResult>> MeasureAsync(IReadOnlyList<LatencyTarget> targets, TimeSpan budget, CancellationToken cancellationToken)
    {
        lock (Asked) Asked.AddRange(targets);
        return Task.FromResult<IReadOnlyList<LatencyResult>>(targets
            .Select(t => roundTrips.TryGetValue(t.Host, out var rtt) ? new LatencyResult(t.Key, rtt, "icmp") : new LatencyResult(t.Key, null, "none"))
            .ToList());
    }
}
