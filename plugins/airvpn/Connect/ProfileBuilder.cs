using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;

namespace Tunmux.Plugins.AirVpn.Connect;

/// <summary>Turns a device key, a server and the manifest's WireGuard mode into a <see cref="WireGuardProfile"/>, as Eddie builds it.</summary>
internal static class ProfileBuilder
{
    /// <summary>Eddie's default keepalive for AirVPN WireGuard peers.</summary>
    public const int Keepalive = 15;

    public static AirMode WireGuardMode(AirManifest manifest) =>
        manifest.WireGuardModes.OrderBy(m => m.Port == 1637 ? 0 : 1).FirstOrDefault()
        ?? throw new ProviderException("airvpn: the server list offers no WireGuard mode; refresh it with 'tunmux airvpn servers --refresh'");

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
