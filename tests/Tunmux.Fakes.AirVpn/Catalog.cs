using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;

namespace Tunmux.Fakes.AirVpn;

/// <summary>What the fake hands out: servers, modes, accounts and the addressing of device keys.</summary>
public sealed record Catalog
{
    /// <summary>The account-wide server WireGuard key (act=user wg_public_key); a server's own key wins.</summary>
    public string WgPublicKey { get; init; } = "";
    public string DnsIpv4 { get; init; } = "10.2.0.1";
    public string DnsIpv6 { get; init; } = "";
    /// <summary>Device IPv4 addresses are taken from this /16 (hosts .0.2 upwards).</summary>
    public string AddressPool { get; init; } = "10.2.0.0/16";
    /// <summary>Device IPv6 prefix (a /64 written as <c>fd7d:76ee:e68f:a993::</c>); empty for none.</summary>
    public string AddressPoolV6 { get; init; } = "";
    /// <summary>
    /// True to give each device a WireGuard preshared key, as AirVPN does. Off by default so a lab
    /// server registering peers from the hook's arguments alone accepts the handshake; when on, the
    /// hook reads the key on its standard input (never on its command line).
    /// </summary>
    public bool PresharedKeys { get; init; }
    public List<CatalogAccount> Accounts { get; init; } = [];
    public List<CatalogServer> Servers { get; init; } = [];
    public List<CatalogMode> Modes { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A subset of AirVPN's modes: WireGuard on three ports, OpenVPN over UDP, TCP, SSH and SSL (Eddie's ConnectionMode: type, protocol, port, entry_index, transport).</summary>
    public static readonly IReadOnlyList<CatalogMode> DefaultModes =
    [
        new() { Type = "wireguard", Protocol = "UDP", Port = 1637, EntryIndex = 0 },
        new() { Type = "wireguard", Protocol = "UDP", Port = 47107, EntryIndex = 0 },
        new() { Type = "wireguard", Protocol = "UDP", Port = 51820, EntryIndex = 0 },
        new() { Type = "openvpn", Protocol = "UDP", Port = 443, EntryIndex = 0 },
        new() { Type = "openvpn", Protocol = "TCP", Port = 443, EntryIndex = 0 },
        new() { Type = "openvpn", Protocol = "TCP", Port = 22, EntryIndex = 0, Transport = "SSH" },
        new() { Type = "openvpn", Protocol = "TCP", Port = 443, EntryIndex = 1, Transport = "SSL" },
    ];

    public IReadOnlyList<CatalogMode> EffectiveModes => Modes.Count > 0 ? Modes : DefaultModes;

    public IReadOnlyList<CatalogAccount> EffectiveAccounts => Accounts.Count > 0 ? Accounts : [new CatalogAccount()];

    /// <summary>Reads a servers file: JSON in this shape, or an XML manifest (<c>&lt;servers&gt;&lt;server name=.. /&gt;</c>, <c>&lt;modes&gt;</c>).</summary>
    public static Catalog Load(string path)
    {
        var text = File.ReadAllText(path);
        if (text.TrimStart().StartsWith('<')) return FromXml(XDocument.Parse(text).Root!);
        return JsonSerializer.Deserialize<Catalog>(text, Json) ?? throw new InvalidDataException($"{path}: empty servers file");
    }

    private static Catalog FromXml(XElement root)
    {
        static string A(XElement e, string n, string def = "") => e.Attribute(n)?.Value ?? def;
        static long N(XElement e, string n, long def) => long.TryParse(e.Attribute(n)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : def;
        static List<string> L(XElement e, string n) => A(e, n).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return new Catalog
        {
            WgPublicKey = A(root, "wg_public_key"),
            DnsIpv4 = A(root, "dns_ipv4", "10.2.0.1"),
            AddressPool = A(root, "address_pool", "10.2.0.0/16"),
            PresharedKeys = A(root, "preshared_keys") == "true",
            Servers = root.Descendants("server").Select(s => new CatalogServer
            {
                Name = A(s, "name"), CountryCode = A(s, "country_code"), Location = A(s, "location"),
                IpsEntry = L(s, "ips_entry"), IpsExit = L(s, "ips_exit"), WgPublicKey = A(s, "wg_public_key"),
                Bw = N(s, "bw", 0), BwMax = N(s, "bw_max", 1000), Users = N(s, "users", 0), UsersMax = N(s, "users_max", 250),
                ScoreBase = N(s, "scorebase", 0), WarningClosed = A(s, "warning_closed"),
            }).ToList(),
            Modes = root.Descendants("mode").Select(m => new CatalogMode
            {
                Type = A(m, "type"), Protocol = A(m, "protocol", "UDP"), Port = (int)N(m, "port", 1637), EntryIndex = (int)N(m, "entry_index", 0), Transport = A(m, "transport"),
            }).ToList(),
            Accounts = root.Descendants("account").Select(a => new CatalogAccount { Username = A(a, "username"), Password = A(a, "password") }).ToList(),
        };
    }
}

public sealed record CatalogAccount
{
    public string Username { get; init; } = "labuser";
    public string Password { get; init; } = "labpass";
    /// <summary>Subscription end, unix seconds; 0 means a year from now.</summary>
    public long Expires { get; init; }
    /// <summary>True to make the web login answer "account locked".</summary>
    public bool WebLocked { get; init; }
    /// <summary>Device names created at start (each with a fresh key); default one named "Default".</summary>
    public List<string> Devices { get; init; } = ["Default"];
}

public sealed record CatalogServer
{
    public string Name { get; init; } = "";
    public string CountryCode { get; init; } = "";
    public string Location { get; init; } = "";
    public List<string> IpsEntry { get; init; } = [];
    public List<string> IpsExit { get; init; } = [];
    public string WgPublicKey { get; init; } = "";
    public long Bw { get; init; }
    public long BwMax { get; init; } = 1000;
    public long Users { get; init; }
    public long UsersMax { get; init; } = 250;
    public long ScoreBase { get; init; }
    public string WarningClosed { get; init; } = "";
}

public sealed record CatalogMode
{
    public string Type { get; init; } = "wireguard";
    public string Protocol { get; init; } = "UDP";
    public int Port { get; init; } = 1637;
    public int EntryIndex { get; init; }
    /// <summary>SSH or SSL for OpenVPN carried through them; empty otherwise.</summary>
    public string Transport { get; init; } = "";
}
