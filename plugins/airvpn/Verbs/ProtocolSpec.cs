using System.Globalization;
using System.Text.RegularExpressions;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>
/// A <c>generate -p</c> value: <c>wg</c>, <c>wg-PORT</c>, <c>openvpn-udp|tcp|ssh|ssl-PORT</c>, or the
/// generator's own form (<c>wireguard_3_udp_1637</c>, <c>TYPE_ENTRY_CARRIER_PORT</c>). Checked before
/// any request, then against the modes the manifest lists.
/// </summary>
internal sealed partial record ProtocolSpec(string Type, string Carrier, int Port, int EntryIndex)
{
    [GeneratedRegex(@"^(?:(?<wg>wg|wireguard)(?:-(?<port>\d{1,5}))?|openvpn-(?<tr>udp|tcp|ssh|ssl)-(?<port>\d{1,5})|(?<raw>wireguard|openvpn)_(?<entry>\d{1,2})_(?<tr>udp|tcp|ssh|ssl)_(?<port>\d{1,5}))$", RegexOptions.IgnoreCase)]
    private static partial Regex Shape();

    public const string Forms = "wg, wg-PORT, openvpn-udp-PORT, openvpn-tcp-PORT, openvpn-ssh-PORT or openvpn-ssl-PORT";

    public bool IsWireGuard => Type == "wireguard";

    /// <summary>The generator's protocol value.</summary>
    public string GeneratorValue => $"{Type}_{EntryIndex.ToString(CultureInfo.InvariantCulture)}_{Carrier}_{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The short name used in file names and messages.</summary>
    public string ShortName => IsWireGuard ? $"wg-{Port}" : $"openvpn-{Carrier}-{Port}";

    public string FileExtension => IsWireGuard ? ".conf" : ".ovpn";

    public static ProtocolSpec Parse(string value)
    {
        var m = Shape().Match(value.Trim());
        if (!m.Success)
            throw new ProviderException($"airvpn: bad protocol '{value}'; use {Forms} (for example wg-1637, openvpn-udp-443)");
        var port = m.Groups["port"].Success ? int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture) : 1637;
        if (port is < 1 or > 65535)
            throw new ProviderException($"airvpn: bad port {port} in protocol '{value}'; ports are 1-65535");
        var carrier = m.Groups["tr"].Success ? m.Groups["tr"].Value.ToLowerInvariant() : "udp";
        if (m.Groups["raw"].Success)
            return new ProtocolSpec(m.Groups["raw"].Value.ToLowerInvariant(), carrier, port, int.Parse(m.Groups["entry"].Value, CultureInfo.InvariantCulture));
        // The generator numbers entry addresses from 1: WireGuard on the third, OpenVPN over SSL on the
        // second, OpenVPN otherwise on the first (as the original tool sends them).
        return m.Groups["wg"].Success
            ? new ProtocolSpec("wireguard", "udp", port, 3)
            : new ProtocolSpec("openvpn", carrier, port, carrier == "ssl" ? 2 : 1);
    }

    /// <summary>The manifest's mode this names, or an error listing every mode the manifest offers.</summary>
    public AirMode Resolve(AirManifest manifest) =>
        manifest.Modes.Where(m => m.Type == Type && m.Carrier == Carrier && m.Port == Port).OrderBy(m => m.EntryIndex).FirstOrDefault()
        ?? throw new ProviderException($"airvpn: {ShortName} is not offered; available: {AirAccount.Names(manifest.Modes.Select(m => m.UserName).Distinct())}");
}
