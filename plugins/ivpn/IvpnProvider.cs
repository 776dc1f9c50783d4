using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Ivpn.Cli;
using Tunmux.Plugins.Ivpn.Servers;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.Ivpn.IvpnProvider))]

namespace Tunmux.Plugins.Ivpn;

/// <summary>
/// IVPN: an account ID (the only credential), a session carrying a WireGuard key made here, the server
/// list, and WireGuard profiles. Built against the contracts package alone, like any third-party plugin.
/// </summary>
public sealed class IvpnProvider : IVpnProvider
{
    private IProviderContext _context = null!;
    private IvpnService _service = null!;

    public TimeProvider Time { get; init; } = TimeProvider.System;
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public string Name => "ivpn";
    public string DisplayName => "IVPN";

    public void Initialize(IProviderContext context)
    {
        _context = context;
        _service = new IvpnService(context, Time, Environment);
    }

    public ProviderCommands Describe() => new()
    {
        Login = typeof(IvpnLoginOptions),
        Servers = typeof(IvpnServersOptions),
        Connect = typeof(IvpnConnectOptions),
        Verbs = [typeof(IvpnCreateAccountOptions)],
        ConfigKeys = ["default_country", "default_city", "api_url", "web_url"],
    };

    public async Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        var o = request.Options as IvpnLoginOptions ?? new IvpnLoginOptions();
        // The account ID is IVPN's only credential: a line piped in with --password-stdin is taken as it.
        var id = _service.ReadAccountId(Blank(o.Account), o.AccountStdin, o.PasswordStdin ? request.Password : null);
        await _service.LoginAsync(id, o.Force, Blank(o.Totp), Blank(o.TotpSecretFile), cancellationToken).ConfigureAwait(false);
    }

    public Task LogoutAsync(CancellationToken cancellationToken) => _service.LogoutAsync(cancellationToken);

    public async Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken)
    {
        var info = await _service.InfoAsync(cancellationToken).ConfigureAwait(false);
        var details = new List<KeyValuePair<string, string>>
        {
            new("Active", info.Active ? "yes" : "no (add time at https://www.ivpn.net/account)"),
            new("Device", info.DeviceName ?? "-"),
            new("Tunnel address", info.TunnelAddress),
            new("WireGuard public key", info.PublicKey),
            new("Credentials", info.Credentials),
            new("API", info.Api),
        };
        return new AccountInfo { Username = info.MaskedAccount, Plan = info.Plan, ExpiresAt = info.ActiveUntil, Details = details };
    }

    public async Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken)
    {
        var options = query.Options as IvpnServersOptions;
        var sort = query.Sort ?? ServerSort.Load;
        var (rows, list) = await _service.ServersAsync(new HostFilter(Blank(query.Country), Blank(options?.City)), sort,
            query.Refresh, cancellationToken).ConfigureAwait(false);
        // For --sort latency the host measures each row's entry (address and WireGuard port) and reorders them.
        var port = Connect.ProfileBuilder.ChoosePort(list.List, null);
        return [.. rows.Select(h => ToInfo(h, port))];
    }

    public async Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var options = request.Options as IvpnConnectOptions;
        var country = Blank(request.Country) ?? Blank(_context.Config.GetString("default_country"));
        var city = Blank(options?.City) ?? (request.Country is null ? Blank(_context.Config.GetString("default_city")) : null);
        var plan = await _service.PrepareConnectAsync(Blank(request.ServerName), new HostFilter(country, city), options?.Port, request.Sort, cancellationToken).ConfigureAwait(false);
        return plan.Chosen with { Alternatives = [.. plan.Alternatives.Select(a => new ConnectAlternative(a.Profile, a.Server))] };
    }

    public async Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        if (invocation.Options is not IvpnCreateAccountOptions o)
            throw new ProviderException($"ivpn has no command '{string.Join(' ', invocation.Path)}'; see `tunmux ivpn --help`");
        var created = await _service.CreateAccountAsync(o.Product, cancellationToken).ConfigureAwait(false);
        if (invocation.Json)
            _context.Console.WriteJson(new IvpnCreatedAccount(created.Id, created.RefId, created.Product?.Name, created.IsActive));
        else
        {
            _context.Console.Out.WriteLine($"Created IVPN account {created.Id} ({created.Product?.Name ?? "IVPN Standard"}, {(created.IsActive ? "active" : "inactive until time is added")})");
        }
        return 0;
    }

    private static ServerInfo ToInfo(IvpnHost h, int port) => new()
    {
        Name = h.Hostname,
        Country = h.CountryCode,
        City = h.City,
        Load = (int)Math.Round(h.Load, MidpointRounding.AwayFromZero),
        EntryHost = h.Host,
        EntryPort = port,
        Extra =
        [
            new("Gateway", h.Gateway),
            new("ISP", h.Isp ?? "-"),
            new("Address", h.Host),
        ],
    };

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>What <c>ivpn create-account --json</c> prints (stable field names).</summary>
internal sealed record IvpnCreatedAccount(string AccountId, string? RefId, string? Product, bool Active);
