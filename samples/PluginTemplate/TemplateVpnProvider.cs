using System.Security.Cryptography;
using System.Text.Json;
using Tunmux.Contracts;

[assembly: TunmuxPlugin(typeof(TemplateVpn.TemplateVpnProvider))]

namespace TemplateVpn;

/// <summary>
/// A provider plugin to start from. It keeps a fixed server list and a local "session" so every
/// verb works without a network; replace those parts with calls to your provider's API through
/// <see cref="IProviderContext.Http"/>.
/// </summary>
public sealed class TemplateVpnProvider : IVpnProvider
{
    private const string SessionItem = "session.json";
    private const string PortsItem = "ports.json";

    // Documentation addresses (TEST-NET-2) and dummy keys: replace with the provider's server list.
    private static readonly Server[] Servers =
    [
        new("NL#1", "NL", "Amsterdam", "198.51.100.10:51820", "ERERERERERERERERERERERERERERERERERERERERERE="),
        new("US#1", "US", "New York", "198.51.100.20:51820", "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="),
    ];

    private IProviderContext _context = null!;

    public string Name => "templatevpn";

    public string DisplayName => "Template VPN";

    public void Initialize(IProviderContext context) => _context = context;

    /// <summary>The command line: option classes of the standard verbs this plugin extends, and its own verbs (TemplateVerbs.cs).</summary>
    public ProviderCommands Describe() => new()
    {
        Connect = typeof(TemplateConnectOptions),
        Verbs = [typeof(HelloOptions), typeof(PortsGroup)],
        ConfigKeys = ["api_url"],
    };

    public async Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        var password = request.Password ?? _context.Console.PromptSecret("Password: ")
            ?? throw new ProviderException("templatevpn: no password given; pass it with --password-stdin");
        _context.Log.RegisterSecret(password);
        // A real provider authenticates here and stores the token it gets back, never the password.
        var session = JsonSerializer.Serialize(new Session(request.Username, DateTimeOffset.UtcNow));
        await _context.Credentials.SetAsync(SessionItem, session, cancellationToken);
        _context.Console.Out.WriteLine($"logged in as {request.Username}");
    }

    public async Task LogoutAsync(CancellationToken cancellationToken)
    {
        if (!await _context.Credentials.DeleteAsync(SessionItem, cancellationToken))
            _context.Console.Out.WriteLine("not logged in");
    }

    public async Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken)
    {
        var session = await RequireSessionAsync(cancellationToken);
        return new AccountInfo { Username = session.Username, Plan = "template", Details = [new("Logged in", session.Since.ToString("u"))] };
    }

    public Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken)
    {
        IReadOnlyList<ServerInfo> rows = Servers
            .Where(s => query.Country is null || string.Equals(s.Country, query.Country, StringComparison.OrdinalIgnoreCase))
            .Select(s => new ServerInfo { Name = s.Name, Country = s.Country, City = s.City, Load = 10 })
            .ToList();
        return Task.FromResult(rows);
    }

    public Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var city = (request.Options as TemplateConnectOptions)?.City;
        var server = Servers.FirstOrDefault(s =>
                (request.ServerName is null || string.Equals(s.Name, request.ServerName, StringComparison.OrdinalIgnoreCase))
                && (request.Country is null || string.Equals(s.Country, request.Country, StringComparison.OrdinalIgnoreCase))
                && (city is null || string.Equals(s.City, city, StringComparison.OrdinalIgnoreCase)))
            ?? throw new ProviderException("templatevpn: no server matches; see 'tunmux templatevpn servers'");

        // A real provider registers a key with its API or receives one; this template makes a fresh one.
        var privateKey = NewPrivateKey();
        _context.Log.RegisterSecret(privateKey);
        var profile = new WireGuardProfile
        {
            PrivateKey = privateKey,
            Addresses = ["10.2.0.2/32"],
            Dns = ["10.2.0.1"],
            Peers = [new WireGuardPeer { PublicKey = server.PublicKey, Endpoint = server.Endpoint, AllowedIps = ["0.0.0.0/0", "::/0"] }],
        };
        return Task.FromResult(new ConnectPlan(profile, new ServerIdentity(server.Name, server.Country, server.City)));
    }

    /// <summary>The plugin's own verbs: the options object is the parsed instance of the verb's class.</summary>
    public async Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        switch (invocation.Options)
        {
            case HelloOptions hello:
                var api = $"{ContractsVersion.Major}.{ContractsVersion.Minor}";
                if (hello.Json) _context.Console.WriteJson(new { Plugin = Name, ContractsApi = api });
                else _context.Console.Out.WriteLine($"hello from {Name} (plugin API {api})");
                return 0;
            case PortsAddOptions add:
                // A real provider asks its API to forward the port; the template remembers it.
                var ports = await LoadPortsAsync(cancellationToken);
                if (ports.Any(p => p.Port == add.Port)) throw new ProviderException($"templatevpn: port {add.Port} is forwarded already; see 'tunmux templatevpn ports list'");
                ports.Add(new ForwardedPort(add.Port, add.Protocol, add.Note));
                await _context.Credentials.SetAsync(PortsItem, JsonSerializer.Serialize(ports), cancellationToken);
                _context.Console.Out.WriteLine($"port {add.Port}/{add.Protocol} forwarded");
                return 0;
            case PortsListOptions list:
                var all = await LoadPortsAsync(cancellationToken);
                if (list.Json) _context.Console.WriteJson(all);
                else _context.Console.WriteTable(["PORT", "PROTOCOL", "NOTE"], all.Select(p => (IReadOnlyList<string>)[p.Port.ToString(), p.Protocol, p.Note ?? ""]));
                return 0;
            default:
                throw new ProviderException($"templatevpn: unknown verb '{string.Join(' ', invocation.Path)}'");
        }
    }

    private async Task<List<ForwardedPort>> LoadPortsAsync(CancellationToken cancellationToken) =>
        await _context.Credentials.GetAsync(PortsItem, cancellationToken) is { } json
            ? JsonSerializer.Deserialize<List<ForwardedPort>>(json) ?? []
            : [];

    private async Task<Session> RequireSessionAsync(CancellationToken cancellationToken)
    {
        var json = await _context.Credentials.GetAsync(SessionItem, cancellationToken)
            ?? throw new ProviderException("templatevpn: not logged in; run 'tunmux templatevpn login USER'");
        return JsonSerializer.Deserialize<Session>(json)
            ?? throw new ProviderException("templatevpn: the stored session is damaged; run 'tunmux templatevpn login USER' again");
    }

    /// <summary>A Curve25519 private key as WireGuard expects it: 32 random bytes, clamped, base64.</summary>
    private static string NewPrivateKey()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        key[0] &= 248;
        key[31] = (byte)((key[31] & 127) | 64);
        return Convert.ToBase64String(key);
    }

    private sealed record Server(string Name, string Country, string City, string Endpoint, string PublicKey);

    private sealed record Session(string Username, DateTimeOffset Since);

    private sealed record ForwardedPort(int Port, string Protocol, string? Note);
}
