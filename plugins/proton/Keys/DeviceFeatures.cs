using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;
using Tunmux.Plugins.Proton.Servers;

namespace Tunmux.Plugins.Proton.Keys;

/// <summary>
/// The features Proton's servers apply to a device's certificate: they belong to the device key, so
/// they are per device and change by renewing the certificate. Defaults as Proton's Linux app sets
/// them (python-proton-vpn-api-core, proton/vpn/core/settings.py <c>Settings.default</c>: NetShield
/// off on the free plan and blocking malware, ads and trackers (2) on paid plans, moderate NAT off,
/// VPN Accelerator on, port forwarding off).
/// </summary>
/// <param name="NetShield">0 off, 1 malware, 2 malware, ads and trackers.</param>
/// <param name="PortForwarding">NAT-PMP port forwarding on P2P servers.</param>
/// <param name="ModerateNat">Moderate NAT (Proton's <c>RandomNAT = false</c>), for games and peer-to-peer calls.</param>
/// <param name="VpnAccelerator">VPN Accelerator (Proton's <c>SplitTCP</c>).</param>
public sealed record DeviceFeatures(int NetShield, bool PortForwarding, bool ModerateNat, bool VpnAccelerator)
{
    public static DeviceFeatures Default(int maxTier) => new(maxTier > Tiers.Free ? 2 : 0, false, false, true);

    /// <summary>The features as <c>POST vpn/v1/certificate</c> takes them.</summary>
    public CertificateFeatures ToWire() => new()
    {
        NetShieldLevel = NetShield,
        RandomNat = !ModerateNat,
        PortForwarding = PortForwarding,
        SplitTcp = VpnAccelerator,
    };

    /// <summary>Labelled values for <c>features</c> and <c>info</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
    [
        new("NetShield", NetShield.ToString(CultureInfo.InvariantCulture) + NetShield switch { 0 => " (off)", 1 => " (malware)", _ => " (malware, ads, trackers)" }),
        new("Port forwarding", OnOff(PortForwarding)),
        new("Moderate NAT", OnOff(ModerateNat)),
        new("VPN Accelerator", OnOff(VpnAccelerator)),
    ];

    /// <summary>
    /// These features with the changes asked on the command line (<c>--netshield 2 --port-forward on</c>);
    /// a null value leaves that feature as it is.
    /// </summary>
    public DeviceFeatures With(string? netshield, string? portForward, string? moderateNat, string? vpnAccelerator)
    {
        var result = this;
        if (netshield is { } level)
        {
            result = result with
            {
                NetShield = level switch
                {
                    "0" => 0,
                    "1" => 1,
                    "2" => 2,
                    _ => throw new ProviderException($"--netshield takes 0 (off), 1 (malware) or 2 (malware, ads, trackers), not '{level}'"),
                },
            };
        }
        if (portForward is { } pf) result = result with { PortForwarding = Switch("port-forward", pf) };
        if (moderateNat is { } nat) result = result with { ModerateNat = Switch("moderate-nat", nat) };
        if (vpnAccelerator is { } acc) result = result with { VpnAccelerator = Switch("vpn-accelerator", acc) };
        return result;
    }

    private static bool Switch(string flag, string value) => value.ToLowerInvariant() switch
    {
        "on" or "true" or "1" or "yes" => true,
        "off" or "false" or "0" or "no" => false,
        _ => throw new ProviderException($"--{flag} takes on or off, not '{value}'"),
    };

    private static string OnOff(bool value) => value ? "on" : "off";
}
