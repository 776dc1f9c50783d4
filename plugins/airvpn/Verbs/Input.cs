using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>Checks of user input done before any request (the host checks too; the plugin does not rely on it).</summary>
internal static class Input
{
    public static int Port(int port, string what, int min = 1) =>
        port >= min && port <= 65535 ? port : throw new ProviderException($"airvpn: bad {what} '{port}'; ports are {min}-65535");

    public static int? OptionalPort(int? port, string what) => port is { } p ? Port(p, what) : null;

    public static string? Protocol(string? protocol)
    {
        var p = protocol?.Trim().ToLowerInvariant();
        return p is null || AirCommands.Protocols.Contains(p)
            ? p
            : throw new ProviderException($"airvpn: bad protocol '{protocol}'; use tcp, udp or both");
    }

    public static string Name(string? text, string what) =>
        string.IsNullOrWhiteSpace(text) ? throw new ProviderException($"airvpn: missing {what}") : text.Trim();
}
