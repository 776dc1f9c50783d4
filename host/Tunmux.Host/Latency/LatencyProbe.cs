using Tunmux.Contracts;

namespace Tunmux.Host.Latency;

/// <summary>The plugin API's <see cref="ILatencyProbe"/> over the host's <see cref="EntryProber"/> (ICMP, then UDP, then TCP).</summary>
internal sealed class LatencyProbe(EntryProber prober) : ILatencyProbe
{
    public LatencyProbe() : this(new EntryProber()) { }

    public async Task<IReadOnlyList<LatencyResult>> MeasureAsync(IReadOnlyList<LatencyTarget> targets, TimeSpan budget, CancellationToken cancellationToken)
    {
        var results = await prober.MeasureAsync(targets.Select(t => new ProbeTarget(t.Host, t.Port)).ToList(), budget, cancellationToken);
        return targets.Select((t, i) => new LatencyResult(t.Key, results[i].RoundTrip, results[i].Method)).ToList();
    }
}
