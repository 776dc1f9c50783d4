namespace Tunmux.Plugins.AirVpn.Model;

/// <summary>The parts of act=manifest the plugin uses; cached in <c>manifest.json</c> (no secrets).</summary>
internal sealed record AirManifest
{
    public IReadOnlyList<AirServer> Servers { get; init; } = [];
    public IReadOnlyList<AirMode> Modes { get; init; } = [];
    public long FetchedAt { get; init; }

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

    /// <summary>The entry address for a mode: the mode's entry index, else the first address.</summary>
    public string? EntryFor(AirMode mode)
    {
        var v4 = IpsEntry.Where(ip => !ip.Contains(':')).ToList();
        var pool = v4.Count > 0 ? v4 : IpsEntry.ToList();
        return mode.EntryIndex < pool.Count ? pool[mode.EntryIndex] : pool.FirstOrDefault();
    }
}

/// <summary>A connection mode (<c>wireguard</c> UDP 1637, <c>openvpn</c> UDP 443, ...).</summary>
internal sealed record AirMode
{
    public required string Type { get; init; }
    public string Protocol { get; init; } = "UDP";
    public int Port { get; init; }
    public int EntryIndex { get; init; }

    /// <summary>The name a user gives to <c>generate -p</c> (<c>wg-1637</c>, <c>openvpn-udp-443</c>).</summary>
    public string UserName => Type == "wireguard" ? $"wg-{Port}" : $"openvpn-{Protocol.ToLowerInvariant()}-{Port}";
}
