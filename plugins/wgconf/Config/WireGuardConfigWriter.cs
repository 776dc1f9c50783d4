using System.Text;
using Tunmux.Contracts;

namespace Tunmux.Plugins.WgConf.Config;

/// <summary>Writes a profile back as a WireGuard config; the parser reads it to the same profile.</summary>
public static class WireGuardConfigWriter
{
    public static string Write(WireGuardProfile profile)
    {
        var sb = new StringBuilder();
        sb.Append("[Interface]\n");
        sb.Append("PrivateKey = ").Append(profile.PrivateKey).Append('\n');
        sb.Append("Address = ").AppendJoin(", ", profile.Addresses).Append('\n');
        if (profile.Dns.Count > 0) sb.Append("DNS = ").AppendJoin(", ", profile.Dns).Append('\n');
        if (profile.Mtu is { } mtu) sb.Append("MTU = ").Append(mtu).Append('\n');
        foreach (var peer in profile.Peers)
        {
            sb.Append("\n[Peer]\n");
            sb.Append("PublicKey = ").Append(peer.PublicKey).Append('\n');
            if (peer.PresharedKey is { } psk) sb.Append("PresharedKey = ").Append(psk).Append('\n');
            sb.Append("Endpoint = ").Append(peer.Endpoint).Append('\n');
            sb.Append("AllowedIPs = ").AppendJoin(", ", peer.AllowedIps).Append('\n');
            if (peer.PersistentKeepalive is { } ka) sb.Append("PersistentKeepalive = ").Append(ka).Append('\n');
        }
        return sb.ToString();
    }
}
