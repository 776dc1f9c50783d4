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

    public static ConnectPlan Build(LogicalServer server, VpnKeys keys) =>
        new(Profile(server, server.BestPhysical ?? throw new ProviderException($"{server.Name} has no online WireGuard endpoint; pick another server"), keys),
            Identity(server));

    public static ServerIdentity Identity(LogicalServer server) => new(server.Name, server.ExitCountry, server.City);

    /// <summary>Profiles of another usable physical server of the same logical, for failover: same server name, another machine.</summary>
    public static IEnumerable<WireGuardProfile> OtherMachines(LogicalServer server, VpnKeys keys)
    {
        foreach (var physical in server.Servers.Where(p => p.IsUsable && p != server.BestPhysical))
            if (TryProfile(server, physical, keys) is { } profile) yield return profile;
    }

    /// <summary>The profile, or null when the listing's entry for the machine is unusable (skipped as an alternative).</summary>
    public static WireGuardProfile? TryProfile(LogicalServer server, PhysicalServer physical, VpnKeys keys)
    {
        try
        {
            return Profile(server, physical, keys);
        }
        catch (ProviderException)
        {
            return null;
        }
    }

    public static WireGuardProfile Profile(LogicalServer server, PhysicalServer physical, VpnKeys keys)
    {
        if (!IsKey(physical.X25519PublicKey))
            throw new ProviderException($"{server.Name} lists an invalid WireGuard key; run `tunmux proton servers --refresh` and try again");
        if (!IPAddress.TryParse(physical.EntryIp, out var entry))
            throw new ProviderException($"{server.Name} lists an invalid entry address '{physical.EntryIp}'; run `tunmux proton servers --refresh`");

        var endpoint = entry.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{entry}]:{Port}" : $"{entry}:{Port}";
        return new WireGuardProfile
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
                    // ::/0 as well, as Proton's configurations list it. The tunnel has no IPv6 address, so
                    // the daemon gives IPv6 an unreachable default instead: blocked, never outside the tunnel.
                    AllowedIps = ["0.0.0.0/0", "::/0"],
                    PersistentKeepalive = Keepalive,
                },
            ],
        };
    }

    private static bool IsKey(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return false;
        Span<byte> buffer = stackalloc byte[33];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == 32;
    }
}
