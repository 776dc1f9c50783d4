using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>The orders <c>servers --sort</c> accepts.</summary>
internal enum ServerSort
{
    /// <summary>The provider's own idea of best first.</summary>
    Score,
    /// <summary>Least loaded first, where the provider publishes load.</summary>
    Load,
    /// <summary>By name.</summary>
    Name,
    /// <summary>Measured by the host (it probes each server's entry address); the plugin keeps its own order.</summary>
    Latency,
}

internal static class ServerSorts
{
    public static ServerSort Parse(string? text, ServerSort fallback) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => fallback,
        "score" => ServerSort.Score,
        "load" => ServerSort.Load,
        "name" => ServerSort.Name,
        "latency" => ServerSort.Latency,
        _ => throw new ProviderException($"--sort '{text}' is not an order tunmux knows; use score, load, name or latency"),
    };
}
