using System.Net;
using Tunmux.Contracts;
using Tunmux.Plugins.Ivpn.Account;
using Tunmux.Plugins.Ivpn.Servers;

namespace Tunmux.Plugins.Ivpn.Connect;

/// <summary>
/// The WireGuard profile for an IVPN host as IVPN's daemon writes it (daemon/vpn/wireguard: the
/// session's tunnel address as /32, the host's <c>local_ip</c> as DNS, the host's key and address).
/// </summary>
internal static class ProfileBuilder
{
    /// <summary>The ports IVPN's clients prefer, in order (UDP 2049 is the app's default).</summary>
    private static readonly int[] Preferred = [2049, 51820, 443, 53];

    public static int ChoosePort(ServerList list, int? requested) => list.Ports.Choose(requested, Preferred, "IVPN");

    public static ConnectPlan Build(IvpnSession session, IvpnHost host, int port)
    {
        var profile = new WireGuardProfile
        {
            PrivateKey = session.PrivateKey,
            Addresses = [Cidr(session.TunnelAddress)],
            Dns = [host.LocalIp],
            Peers =
            [
                new WireGuardPeer
                {
                    PublicKey = host.PublicKey,
                    Endpoint = $"{host.Host}:{port}",
                    // ::/0 as well, so IPv6 traffic cannot leave outside the tunnel.
                    AllowedIps = ["0.0.0.0/0", "::/0"],
                },
            ],
        };
        return new ConnectPlan(profile, new ServerIdentity(host.Hostname, host.CountryCode, host.City));
    }

    private static string Cidr(string address)
    {
        var ip = address.Trim().Split('/')[0];
        return IPAddress.TryParse(ip, out _)
            ? ip + "/32"
            : throw new ProviderException($"the IVPN session has an invalid tunnel address '{address}'; log in again with `tunmux ivpn login`");
    }
}
