using System.Globalization;

namespace Tunmux.Plugins.AirVpn.Model;

/// <summary>
/// The parts of act=manifest the plugin uses; cached in <c>manifest.json</c> (no secrets). Besides
/// servers and modes, each manifest carries the bootstrap servers and the RSA key its API should be
/// reached with from now on (Eddie, Providers/Service.cs: <c>GetBootstrapUrls</c> reads
/// <c>//urls/url/@address</c>, <c>FetchUrl</c> seals with <c>auth_rsa_modulus</c>/<c>auth_rsa_exponent</c>),
/// and how long it stays current (<c>next_update</c>, minutes).
/// </summary>
internal sealed record AirManifest
{
    public IReadOnlyList<AirServer> Servers { get; init; } = [];
    public IReadOnlyList<AirMode> Modes { get; init; } = [];

    /// <summary>When it was fetched, unix seconds of this machine's clock (Eddie stores its local time too).</summary>
    public long FetchedAt { get; init; }

    /// <summary>Minutes until the next refresh the server recommends, when it says.</summary>
    public int? NextUpdateMinutes { get; init; }

    /// <summary>Bootstrap URLs announced by this manifest, tried before the configured or built-in ones.</summary>
    public IReadOnlyList<string> BootstrapUrls { get; init; } = [];

    /// <summary>The API's RSA key announced by this manifest (base64 modulus and exponent), or empty.</summary>
    public string RsaModulus { get; init; } = "";
    public string RsaExponent { get; init; } = "";

    public IEnumerable<AirMode> WireGuardModes => Modes.Where(m => m.Type == "wireguard");
}

internal sealed record AirServer
{
    public required string Name { get; init; }
    public IReadOnlyList<string> IpsEntry { get; init; } = [];
    public IReadOnlyList<string> IpsExit { get; init; } = [];
    public string CountryCode { get; init; } = "";
    public string Location { get; init; } = "";
    public long ScoreBase { get; init; }
    public long Bandwidth { get; init; }
    public long BandwidthMax { get; init; } = 1;
    public long Users { get; init; }
    public long UsersMax { get; init; } = 100;
    public string WarningClosed { get; init; } = "";

    /// <summary>A per-server WireGuard key when the manifest gives one; otherwise the account-wide key applies.</summary>
    public string WgPublicKey { get; init; } = "";

    /// <summary>Load in percent, by Eddie's formula (bandwidth in bytes/s against the maximum in Mbit/s).</summary>
    public long LoadPercent => BandwidthMax <= 0 ? 100 : Math.Max(0, Bandwidth * 2 * 8 / 1_000_000 * 100 / BandwidthMax);

    public long UsersPercent => UsersMax <= 0 ? 100 : Math.Max(0, Users * 100 / UsersMax);

    /// <summary>Eddie's score without a ping: lower is better.</summary>
    public long Score => LoadPercent + UsersPercent + Math.Max(0, ScoreBase);

    public bool Online => WarningClosed.Length == 0;

    /// <summary>The entry address for a mode: the mode's entry index among the IPv4 addresses (Eddie's <c>GetV4ByIndex</c>), else the first address.</summary>
    public string? EntryFor(AirMode mode, bool ipv6 = false)
    {
        var family = IpsEntry.Where(ip => ip.Contains(':') == ipv6).ToList();
        var pool = family.Count > 0 ? family : IpsEntry.ToList();
        return mode.EntryIndex < pool.Count ? pool[mode.EntryIndex] : pool.FirstOrDefault();
    }
}

/// <summary>A connection mode (<c>wireguard</c> UDP 1637, <c>openvpn</c> UDP 443, OpenVPN over SSH or SSL, ...).</summary>
internal sealed record AirMode
{
    public required string Type { get; init; }
    public string Protocol { get; init; } = "UDP";
    public int Port { get; init; }
    public int EntryIndex { get; init; }

    /// <summary>Eddie's <c>transport</c>: <c>SSH</c> or <c>SSL</c> for OpenVPN tunnelled through them, empty otherwise.</summary>
    public string Transport { get; init; } = "";

    /// <summary>The carrier as the generator names it: udp, tcp, ssh or ssl.</summary>
    public string Carrier => Transport.Length > 0 ? Transport.ToLowerInvariant() : Protocol.ToLowerInvariant();

    /// <summary>The name a user gives to <c>generate -p</c> (<c>wg-1637</c>, <c>openvpn-udp-443</c>, <c>openvpn-ssl-443</c>).</summary>
    public string UserName => Type == "wireguard"
        ? string.Create(CultureInfo.InvariantCulture, $"wg-{Port}")
        : string.Create(CultureInfo.InvariantCulture, $"openvpn-{Carrier}-{Port}");
}
