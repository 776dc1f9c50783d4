using System.Net;
using Tunmux.Contracts;
using Tunmux.Plugins.Mullvad.Account;
using Tunmux.Plugins.Mullvad.Relays;

namespace Tunmux.Plugins.Mullvad.Connect;

/// <summary>
/// The WireGuard profile for a Mullvad relay: the key and the addresses Mullvad gave this device,
/// the relay's gateway as DNS (what Mullvad's app uses when no custom DNS is set), the relay's key
/// and entry address, and a port from the relay list's WireGuard port ranges.
/// </summary>
internal static class ProfileBuilder
{
    public const int DefaultPort = 51820;

    /// <summary>The port to use: the one asked for when the relays accept it, else 51820, else the first one they accept.</summary>
    public static int ChoosePort(RelayList list, int? requested) => list.Ports.Choose(requested, [DefaultPort], "Mullvad");

    public static ConnectPlan Build(MullvadSession session, Relay relay, RelayList list, int port)
    {
        var addresses = new List<string> { Cidr(session.Ipv4Address, 32) };
        var dns = new List<string> { list.Ipv4Gateway };
        if (session.Ipv6Address is { Length: > 0 } v6)
        {
            addresses.Add(Cidr(v6, 128));
            if (list.Ipv6Gateway is { } gw6) dns.Add(gw6);
        }
        var profile = new WireGuardProfile
        {
            PrivateKey = session.PrivateKey,
            Addresses = addresses,
            Dns = dns,
            Peers =
            [
                new WireGuardPeer
                {
                    PublicKey = relay.PublicKey,
                    Endpoint = $"{relay.Ipv4AddrIn}:{port}",
                    // ::/0 as well, so IPv6 traffic cannot leave outside the tunnel.
                    AllowedIps = ["0.0.0.0/0", "::/0"],
                },
            ],
        };
        return new ConnectPlan(profile, new ServerIdentity(relay.Hostname, relay.CountryCode, relay.City));
    }

    /// <summary>An address Mullvad gave (<c>10.64.1.2/32</c>, or without a prefix) in CIDR form.</summary>
    public static string Cidr(string address, int defaultPrefix)
    {
        var text = address.Trim();
        var slash = text.IndexOf('/');
        var ip = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(ip, out _))
            throw new ProviderException($"the Mullvad device has an invalid tunnel address '{text}'; log in again with `tunmux mullvad login`");
        return slash < 0 ? $"{text}/{defaultPrefix}" : text;
    }
}
