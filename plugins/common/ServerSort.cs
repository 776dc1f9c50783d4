using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

// The orders themselves are the contracts' ServerSort (-s/--sort, parsed by the host into ServerQuery.Sort and ConnectRequest.Sort).

/// <summary>Reads an order given as text (a config value), for providers that take one besides <c>--sort</c>.</summary>
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
