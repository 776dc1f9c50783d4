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

    public ProviderSpec Describe() => new()
    {
        ConnectOptions = [OptionSpec.Value("city", "CITY", "prefer servers in this city")],
        Verbs = [new VerbSpec("hello", "Show that the plugin is loaded") { SupportsJson = true }],
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
        var city = request.Options.Get("city");
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

    public Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        if (invocation.Path is not ["hello"])
            throw new ProviderException($"templatevpn: unknown verb '{string.Join(' ', invocation.Path)}'");
        var api = $"{ContractsVersion.Major}.{ContractsVersion.Minor}";
        if (invocation.Json) _context.Console.WriteJson(new { Plugin = Name, ContractsApi = api });
        else _context.Console.Out.WriteLine($"hello from {Name} (plugin API {api})");
        return Task.FromResult(0);
    }

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
}
