namespace Tunmux.Plugins.Proton.Servers;

/// <summary>Feature bits of a logical server.</summary>
[Flags]
public enum ServerFeatures
{
    None = 0,
    SecureCore = 1,
    Tor = 2,
    P2P = 4,
    Streaming = 8,
    Ipv6 = 16,
}

/// <summary>One machine behind a logical server.</summary>
public sealed class PhysicalServer
{
    public string? Id { get; set; }
    public string EntryIp { get; set; } = "";
    public string? ExitIp { get; set; }
    public string? Domain { get; set; }
    public string? Label { get; set; }
    public int Status { get; set; }
    public string? X25519PublicKey { get; set; }

    /// <summary>Usable for WireGuard: online and with a key.</summary>
    public bool IsUsable => Status == 1 && !string.IsNullOrEmpty(X25519PublicKey) && EntryIp.Length > 0;
}

/// <summary>A server as Proton lists it (<c>US#1</c>), with its physical servers.</summary>
public sealed class LogicalServer
{
    public string? Id { get; set; }
    public string Name { get; set; } = "";
    public string? EntryCountry { get; set; }
    public string ExitCountry { get; set; } = "";
    public string? City { get; set; }
    public int Tier { get; set; }
    public ServerFeatures Features { get; set; }
    public double Score { get; set; }
    public int Load { get; set; }
    public int Status { get; set; }
    public List<PhysicalServer> Servers { get; set; } = [];

    public bool Has(ServerFeatures f) => (Features & f) == f;

    /// <summary>Online and with at least one usable physical server.</summary>
    public bool IsOnline => Status == 1 && Servers.Exists(s => s.IsUsable);

    /// <summary>The physical server to connect to: the first usable one.</summary>
    public PhysicalServer? BestPhysical => Servers.Find(s => s.IsUsable);
}

/// <summary>Proton's tiers.</summary>
public static class Tiers
{
    public const int Free = 0;
    public const int Basic = 1;
    public const int Plus = 2;
    public const int Visionary = 3;

    public static string Name(int tier) => tier switch
    {
        Free => "free",
        Basic => "basic",
        Plus => "plus",
        Visionary => "visionary",
        _ => tier.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
