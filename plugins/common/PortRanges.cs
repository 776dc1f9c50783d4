using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>The UDP ports a provider's WireGuard servers accept, as inclusive ranges (a single port is a range of one).</summary>
internal sealed record PortRanges(IReadOnlyList<(int From, int To)> Ranges)
{
    public bool Allows(int port) => Ranges.Any(r => port >= r.From && port <= r.To);

    public override string ToString() => string.Join(", ", Ranges.Select(r => r.From == r.To ? $"{r.From}" : $"{r.From}-{r.To}"));

    /// <summary>The port asked for when the servers accept it; else the first of <paramref name="preferred"/> they accept; else their first.</summary>
    public int Choose(int? requested, IEnumerable<int> preferred, string provider)
    {
        if (requested is { } port)
            return Allows(port) ? port : throw new ProviderException($"{provider} servers do not accept WireGuard on port {port}; choose one of {this}");
        foreach (var p in preferred)
            if (Allows(p)) return p;
        return Ranges[0].From;
    }

    /// <summary>A valid range, or null.</summary>
    public static (int, int)? Valid(int from, int to) => from is > 0 and <= 65535 && to >= from && to <= 65535 ? (from, to) : null;
}
