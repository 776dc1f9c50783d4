using System.Net;
using System.Security.Cryptography;

namespace Tunmux.Fakes.AirVpn;

/// <summary>The fake's accounts and everything hanging off them. Every access holds <see cref="Lock"/>.</summary>
public sealed class FakeState
{
    public object Lock { get; } = new();
    public Catalog Catalog { get; }
    public List<FakeAccount> Accounts { get; } = [];

    /// <summary>Encrypted API requests answered / refused (undecryptable).</summary>
    public int ApiRequests, ApiRefused;

    /// <summary>Answered API requests per listening port.</summary>
    public Dictionary<int, int> AnsweredOnPort { get; } = [];

    /// <summary>The <c>act</c> of every answered API request, in order.</summary>
    public List<string> Acts { get; } = [];

    /// <summary>Servers announced with act=connect, in order.</summary>
    public List<string> Connects { get; } = [];

    /// <summary>
    /// What act=connect answers (Eddie, Session.cs reads <c>message</c> and <c>message_action</c>):
    /// null allows every connection; a message refuses it, with "stop", "next" or "" (retry) as the action.
    /// Servers in <see cref="TurnedAway"/> get ("server full", "next") whatever this says.
    /// </summary>
    public (string Message, string Action)? ConnectRefusal { get; set; }

    /// <summary>Servers act=connect turns away with message_action "next".</summary>
    public HashSet<string> TurnedAway { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True to answer act=connect with an error attribute (a failed call, not a refusal).</summary>
    public bool ConnectBroken { get; set; }

    /// <summary>Bootstrap URLs the manifest announces in <c>&lt;urls&gt;</c> (Eddie replaces its list with them).</summary>
    public List<string> AnnouncedUrls { get; } = [];

    /// <summary>The manifest's <c>next_update</c> in minutes; null leaves the attribute out.</summary>
    public int? NextUpdateMinutes { get; set; } = 30;
    /// <summary>Successful web logins.</summary>
    public int WebLogins;
    /// <summary>Config generator calls.</summary>
    public int GeneratorCalls;

    /// <summary>Each generator request: protocol, server and IP layers.</summary>
    public List<string> GeneratorRequests { get; } = [];

    private int _nextDevice;
    private int _nextId = 1000;

    public FakeState(Catalog catalog)
    {
        Catalog = catalog;
        foreach (var a in catalog.EffectiveAccounts)
        {
            var account = new FakeAccount
            {
                Username = a.Username,
                Password = a.Password,
                ExpiresAt = a.Expires != 0 ? a.Expires : DateTimeOffset.UtcNow.AddYears(1).ToUnixTimeSeconds(),
                WebLocked = a.WebLocked,
            };
            foreach (var name in a.Devices) account.Devices.Add(NewDevice(name));
            Accounts.Add(account);
        }
    }

    public FakeAccount? Find(string username) =>
        Accounts.FirstOrDefault(a => string.Equals(a.Username, username, StringComparison.OrdinalIgnoreCase));

    public FakeDevice NewDevice(string name)
    {
        var (priv, pub) = X25519.NewKeyPair();
        var n = _nextDevice++;
        var pool = IPAddress.Parse(Catalog.AddressPool.Split('/')[0]).GetAddressBytes();
        var host = n + 2; // .0.1 is the DNS/gateway
        var v4 = $"{pool[0]}.{pool[1]}.{host >> 8}.{host & 255}/32";
        var v6 = Catalog.AddressPoolV6.Length > 0 ? $"{Catalog.AddressPoolV6.TrimEnd(':')}::{host:x}/128" : "";
        return new FakeDevice
        {
            Id = NextId(),
            Name = name,
            PrivateKey = priv,
            PublicKey = pub,
            Preshared = Catalog.PresharedKeys ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) : "",
            Ipv4 = v4,
            Ipv6 = v6,
        };
    }

    public string NextId() => (_nextId++).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public CatalogServer? Server(string nameOrCountry) =>
        Catalog.Servers.FirstOrDefault(s => string.Equals(s.Name, nameOrCountry, StringComparison.OrdinalIgnoreCase))
        ?? Catalog.Servers.Where(s => string.Equals(s.CountryCode, nameOrCountry, StringComparison.OrdinalIgnoreCase) && s.WarningClosed.Length == 0)
            .OrderBy(s => s.Users * 100 / Math.Max(1, s.UsersMax) + s.ScoreBase).FirstOrDefault();

    public string ServerKey(CatalogServer s) => s.WgPublicKey.Length > 0 ? s.WgPublicKey : Catalog.WgPublicKey;
}

public sealed class FakeAccount
{
    public required string Username { get; init; }
    public required string Password { get; set; }
    public long ExpiresAt { get; set; }
    public bool WebLocked { get; set; }
    public List<FakeDevice> Devices { get; } = [];
    public List<FakePort> Ports { get; } = [];
    public List<FakeApiKey> ApiKeys { get; } = [];
    public List<FakeVpnSession> Sessions { get; } = [];
}

public sealed class FakeDevice
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public required string PrivateKey { get; init; }
    public required string PublicKey { get; init; }
    public required string Preshared { get; init; }
    public required string Ipv4 { get; init; }
    public string Ipv6 { get; init; } = "";
}

public sealed class FakePort
{
    public int Port { get; init; }
    public int Pool { get; init; }
    public string Protocol { get; set; } = "tcp_udp";
    public int Local { get; set; }
    public bool Enabled { get; set; } = true;
    public string Device { get; set; } = "all";
    public string Dns { get; set; } = "";
}

public sealed class FakeApiKey
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public required string Secret { get; init; }
    public long CreationDate { get; init; }
}

public sealed class FakeVpnSession
{
    public required string DeviceName { get; init; }
    public required string ServerName { get; init; }
    public long ConnectedSince { get; init; }
    public long BytesWrite { get; init; }
    public long BytesRead { get; init; }
    public string VpnIpv4 { get; init; } = "";
    public string ExitIpv4 { get; init; } = "";
    public string ServerIp { get; init; } = "";
}
