using System.Net;
using System.Net.Sockets;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Keys;
using Tunmux.Plugins.Proton.Servers;

namespace Tunmux.Plugins.Proton.Connect;

/// <summary>The WireGuard profile for a Proton server, with the fixed in-tunnel addressing Proton uses.</summary>
public static class ProfileBuilder
{
    public const string Address = "10.2.0.2/32";
    public const string Dns = "10.2.0.1";
    public const int Port = 51820;

    /// <summary>Proton's WireGuard configurations send a keepalive every 25 s, which keeps NAT mappings (and a forwarded port) open while idle.</summary>
    public const int Keepalive = 25;

    public static ConnectPlan Build(LogicalServer server, VpnKeys keys)
    {
        var physical = server.BestPhysical
            ?? throw new ProviderException($"{server.Name} has no online WireGuard endpoint; pick another server");
        if (!IsKey(physical.X25519PublicKey))
            throw new ProviderException($"{server.Name} lists an invalid WireGuard key; run `tunmux proton servers --refresh` and try again");
        if (!IPAddress.TryParse(physical.EntryIp, out var entry))
            throw new ProviderException($"{server.Name} lists an invalid entry address '{physical.EntryIp}'; run `tunmux proton servers --refresh`");

        var endpoint = entry.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{entry}]:{Port}" : $"{entry}:{Port}";
        var profile = new WireGuardProfile
        {
            PrivateKey = keys.WireGuardPrivateKeyBase64,
            Addresses = [Address],
            Dns = [Dns],
            Peers =
            [
                new WireGuardPeer
                {
                    PublicKey = physical.X25519PublicKey!,
                    Endpoint = endpoint,
                    // ::/0 as well: the tunnel has no IPv6 address, so IPv6 is routed into it and
                    // dropped there instead of leaving outside the tunnel.
                    AllowedIps = ["0.0.0.0/0", "::/0"],
                    PersistentKeepalive = Keepalive,
                },
            ],
        };
        return new ConnectPlan(profile, new ServerIdentity(server.Name, server.ExitCountry, server.City));
    }

    private static bool IsKey(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return false;
        Span<byte> buffer = stackalloc byte[33];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == 32;
    }
}
