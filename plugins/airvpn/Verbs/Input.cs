using System.Globalization;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>Checks of user input done before any request (the host checks too; the plugin does not rely on it).</summary>
internal static class Input
{
    public static int Port(string? text, string what)
    {
        if (text is null) throw new ProviderException($"airvpn: missing {what}; give a number 1-65535");
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 65535
            ? n
            : throw new ProviderException($"airvpn: bad {what} '{text}'; ports are 1-65535");
    }

    public static int? OptionalPort(ParsedOptions o, string name) => o.Get(name) is { } v ? Port(v, "--" + name) : null;

    public static string? Protocol(ParsedOptions o)
    {
        var p = o.Get("protocol")?.Trim().ToLowerInvariant();
        return p is null || VerbCatalog.Protocols.Contains(p)
            ? p
            : throw new ProviderException($"airvpn: bad protocol '{o.Get("protocol")}'; use tcp, udp or both");
    }

    public static string Name(string? text, string what) =>
        string.IsNullOrWhiteSpace(text) ? throw new ProviderException($"airvpn: missing {what}") : text.Trim();
}
