using System.Globalization;
using System.Text.RegularExpressions;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>
/// A <c>generate -p</c> value: <c>wg</c>, <c>wg-PORT</c>, <c>openvpn-udp-PORT</c>, <c>openvpn-tcp-PORT</c>,
/// or the generator's own form (<c>wireguard_1_udp_1637</c>). Checked before any request.
/// </summary>
internal sealed partial record ProtocolSpec(string Type, string Transport, int Port, int EntryIndex)
{
    [GeneratedRegex(@"^(?:(?<wg>wg|wireguard)(?:-(?<port>\d{1,5}))?|openvpn-(?<tr>udp|tcp)-(?<port>\d{1,5})|(?<raw>wireguard|openvpn)_(?<entry>\d{1,2})_(?<tr>udp|tcp)_(?<port>\d{1,5}))$", RegexOptions.IgnoreCase)]
    private static partial Regex Shape();

    public bool IsWireGuard => Type == "wireguard";

    /// <summary>The generator's protocol value.</summary>
    public string GeneratorValue => $"{Type}_{EntryIndex.ToString(CultureInfo.InvariantCulture)}_{Transport}_{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The short name used in file names and messages.</summary>
    public string ShortName => IsWireGuard ? $"wg-{Port}" : $"openvpn-{Transport}-{Port}";

    public string FileExtension => IsWireGuard ? ".conf" : ".ovpn";

    public static ProtocolSpec Parse(string value)
    {
        var m = Shape().Match(value.Trim());
        if (!m.Success)
            throw new ProviderException($"airvpn: bad protocol '{value}'; use wg, wg-PORT, openvpn-udp-PORT or openvpn-tcp-PORT (for example wg-1637, openvpn-udp-443)");
        var port = m.Groups["port"].Success ? int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture) : 1637;
        if (port is < 1 or > 65535)
            throw new ProviderException($"airvpn: bad port {port} in protocol '{value}'; ports are 1-65535");
        if (m.Groups["raw"].Success)
            return new ProtocolSpec(m.Groups["raw"].Value.ToLowerInvariant(), m.Groups["tr"].Value.ToLowerInvariant(), port,
                int.Parse(m.Groups["entry"].Value, CultureInfo.InvariantCulture));
        return m.Groups["wg"].Success
            // The generator numbers WireGuard entries from 3 and OpenVPN from 1 (as the original tool sends them).
            ? new ProtocolSpec("wireguard", "udp", port, 3)
            : new ProtocolSpec("openvpn", m.Groups["tr"].Value.ToLowerInvariant(), port, 1);
    }
}
