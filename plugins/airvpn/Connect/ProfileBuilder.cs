using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;

namespace Tunmux.Plugins.AirVpn.Connect;

/// <summary>Turns a device key, a server and the manifest's WireGuard mode into a <see cref="WireGuardProfile"/>, as Eddie builds it.</summary>
internal static class ProfileBuilder
{
    /// <summary>Eddie's default keepalive for AirVPN WireGuard peers (<c>wireguard.peer.persistentkeepalive</c>).</summary>
    public const int Keepalive = 15;

    /// <summary>Eddie's WireGuard MTU when none is set (<c>wireguard.interface.mtu</c> -1 means 1320).</summary>
    public const int Mtu = 1320;

    /// <summary>Eddie's default WireGuard mode: UDP 1637.</summary>
    public const int DefaultPort = 1637;

    /// <summary>
    /// The WireGuard mode to use: the one on <paramref name="port"/> when given (the lowest entry
    /// index when several share it), else Eddie's default port, else the manifest's first.
    /// </summary>
    public static AirMode WireGuardMode(AirManifest manifest, int? port = null)
    {
        var modes = manifest.WireGuardModes.OrderBy(m => m.EntryIndex).ToList();
        if (modes.Count == 0)
            throw new ProviderException("airvpn: the server list offers no WireGuard mode; refresh it with 'tunmux airvpn servers --refresh'");
        if (port is { } p)
            return modes.FirstOrDefault(m => m.Port == p)
                ?? throw new ProviderException($"airvpn: no WireGuard mode on port {p}; AirVPN offers {string.Join(", ", modes.Select(m => m.Port).Distinct().Order())}");
        return modes.FirstOrDefault(m => m.Port == DefaultPort) ?? modes[0];
    }

    /// <summary>Checks <c>--port</c>; null when absent.</summary>
    public static int? Port(int? port) =>
        port is not { } p ? null
        : p is > 0 and <= 65535 ? p
        : throw new ProviderException($"airvpn: --port takes a port number (1637, 47107, 51820, ...), not '{p}'");

    public static WireGuardProfile Build(AirSession session, AirKey key, AirServer server, AirMode mode)
    {
        var ip = server.EntryFor(mode)
            ?? throw new ProviderException($"airvpn: server {server.Name} has no entry address; pick another server");
        var peerKey = server.WgPublicKey.Length > 0 ? server.WgPublicKey : session.WgPublicKey;
        if (peerKey.Length == 0)
            throw new ProviderException("airvpn: the account data holds no server WireGuard key; run 'tunmux airvpn login USER' again");
        if (key.WgPrivateKey.Length == 0)
            throw new ProviderException($"airvpn: device '{key.Name}' has no WireGuard private key; pick another with --key");

        var addresses = new[] { Cidr(key.WgIpv4, 32), Cidr(key.WgIpv6, 128) }.OfType<string>().ToList();
        if (addresses.Count == 0)
            throw new ProviderException($"airvpn: device '{key.Name}' has no tunnel address; pick another with --key");

        return new WireGuardProfile
        {
            PrivateKey = key.WgPrivateKey,
            Addresses = addresses,
            Dns = new[] { key.WgDnsIpv4, key.WgDnsIpv6 }.Where(d => d.Length > 0).ToList(),
            Mtu = Mtu,
            Peers =
            [
                new WireGuardPeer
                {
                    PublicKey = peerKey,
                    PresharedKey = key.WgPreshared.Length > 0 ? key.WgPreshared : null,
                    Endpoint = ip.Contains(':') ? $"[{ip}]:{mode.Port}" : $"{ip}:{mode.Port}",
                    AllowedIps = ["0.0.0.0/0", "::/0"],
                    PersistentKeepalive = Keepalive,
                },
            ],
        };
    }

    private static string? Cidr(string address, int bits) =>
        address.Length == 0 ? null : address.Contains('/') ? address : $"{address}/{bits}";
}
