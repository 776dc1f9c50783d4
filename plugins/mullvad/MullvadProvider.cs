using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Mullvad.Account;
using Tunmux.Plugins.Mullvad.Cli;
using Tunmux.Plugins.Mullvad.Relays;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.Mullvad.MullvadProvider))]

namespace Tunmux.Plugins.Mullvad;

/// <summary>
/// Mullvad VPN: an account number (the only credential), a WireGuard key made here and registered as a
/// device, the relay list, and WireGuard profiles. Built against the contracts package alone, like any
/// third-party plugin.
/// </summary>
public sealed class MullvadProvider : IVpnProvider
{
    private IProviderContext _context = null!;
    private MullvadService _service = null!;

    /// <summary>Clock for token and cache ages; replaceable in tests.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reads environment variables; replaceable in tests.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Draws relays by Mullvad's weights; replaceable in tests.</summary>
    public Random Random { get; init; } = Random.Shared;

    public string Name => "mullvad";
    public string DisplayName => "Mullvad VPN";

    public void Initialize(IProviderContext context)
    {
        _context = context;
        _service = new MullvadService(context, Time, Environment, Random);
    }

    public ProviderCommands Describe() => new()
    {
        Login = typeof(MullvadLoginOptions),
        Servers = typeof(MullvadServersOptions),
        Connect = typeof(MullvadConnectOptions),
        Verbs = [typeof(MullvadCreateAccountOptions)],
        ConfigKeys = ["default_country", "default_city", "api_url"],
    };

    public async Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        var options = request.Options as MullvadLoginOptions ?? new MullvadLoginOptions();
        var number = _service.ReadAccountNumber(Blank(options.Account), options.AccountStdin, StdinPassword(request));
        await _service.LoginAsync(number, options.Force || options.Replace is not null, options.Replace, cancellationToken).ConfigureAwait(false);
    }

    public Task LogoutAsync(CancellationToken cancellationToken) => _service.LogoutAsync(cancellationToken);

    public async Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken)
    {
        var info = await _service.InfoAsync(cancellationToken).ConfigureAwait(false);
        var details = new List<KeyValuePair<string, string>>
        {
            new("Device", info.DeviceName),
            new("Devices", info.MaxDevices is { } max ? $"{info.DeviceCount} of {max}" : info.DeviceCount.ToString(CultureInfo.InvariantCulture)),
            new("Time left", info.Expired(Time.GetUtcNow()) ? "none (add time at https://mullvad.net/account)" : $"{(int)(info.Expiry - Time.GetUtcNow()).TotalDays} days"),
            new("Tunnel addresses", string.Join(", ", info.Addresses)),
            new("WireGuard public key", info.PublicKey),
            new("Credentials", info.Credentials),
            new("API", info.Api),
        };
        if (info.DeviceCreated is { } created) details.Insert(1, new("Device created", MullvadService.Day(created)));
        return new AccountInfo { Username = info.MaskedAccount, ExpiresAt = info.Expiry, Details = details };
    }

    public async Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken)
    {
        var options = query.Options as MullvadServersOptions;
        var sort = query.Sort ?? ServerSort.Name;
        var (rows, list) = await _service.ServersAsync(new RelayFilter(Blank(query.Country), Blank(options?.City)), sort,
            query.Refresh, cancellationToken).ConfigureAwait(false);
        // For --sort latency the host measures each row's entry (address and WireGuard port) and reorders them.
        var port = Connect.ProfileBuilder.ChoosePort(list.List, null);
        return [.. rows.Select(r => ToInfo(r, port))];
    }

    public async Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var options = request.Options as MullvadConnectOptions;
        var country = Blank(request.Country) ?? Blank(_context.Config.GetString("default_country"));
        var city = Blank(options?.City) ?? (request.Country is null ? Blank(_context.Config.GetString("default_city")) : null);
        var plan = await _service.PrepareConnectAsync(Blank(request.ServerName), new RelayFilter(country, city), options?.Port, request.Sort, cancellationToken).ConfigureAwait(false);
        return plan.Chosen with { Alternatives = [.. plan.Alternatives.Select(a => new ConnectAlternative(a.Profile, a.Server))] };
    }

    public async Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        if (invocation.Options is not MullvadCreateAccountOptions)
            throw new ProviderException($"mullvad has no command '{string.Join(' ', invocation.Path)}'; see `tunmux mullvad --help`");
        var outcome = await _service.CreateAccountAsync(cancellationToken).ConfigureAwait(false);
        var s = outcome.Session;
        if (invocation.Json)
        {
            _context.Console.WriteJson(new CreatedAccount(MullvadService.Grouped(s.AccountNumber), s.Expiry, s.DeviceName, s.Ipv4Address, s.Ipv6Address));
        }
        else
        {
            _context.Console.Out.WriteLine($"Created Mullvad account {MullvadService.Grouped(s.AccountNumber)}");
            _context.Console.Out.WriteLine($"Logged in as device \"{s.DeviceName}\"");
        }
        return 0;
    }

    private static ServerInfo ToInfo(Relay r, int port) => new()
    {
        Name = r.Hostname,
        Country = r.CountryCode,
        City = r.City,
        Score = r.Weight,
        Online = r.Active,
        Features = r.Owned ? ["owned"] : [],
        EntryHost = r.Ipv4AddrIn,
        EntryPort = port,
        Extra =
        [
            new("Provider", r.Provider),
            new("Owned", r.Owned ? "yes" : "no"),
            new("Address", r.Ipv4AddrIn),
        ],
    };

    /// <summary>
    /// The account number when the host read it with <c>--password-stdin</c> (the account number is
    /// Mullvad's only credential, so it is what a user pipes in as the password); null otherwise.
    /// </summary>
    private static string? StdinPassword(LoginRequest request) => request.Options.PasswordStdin ? request.Password : null;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>What <c>create-account --json</c> prints (stable field names).</summary>
    private sealed record CreatedAccount(string AccountNumber, DateTimeOffset? Expiry, string DeviceName, string Ipv4Address, string? Ipv6Address);
}
