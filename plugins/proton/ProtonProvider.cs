using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;
using Tunmux.Plugins.Proton.Auth;
using Tunmux.Plugins.Proton.Connect;
using Tunmux.Plugins.Proton.Keys;
using Tunmux.Plugins.Proton.Servers;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.Proton.ProtonProvider))]

namespace Tunmux.Plugins.Proton;

/// <summary>Proton VPN: SRP login with 2FA, key certificates, the server list, and WireGuard profiles.</summary>
public sealed class ProtonProvider : IVpnProvider
{
    private IProviderContext _context = null!;
    private SessionStore _sessions = null!;
    private ServerCatalog _catalog = null!;
    private ProtonApiClient? _api;

    /// <summary>Clock used for cache ages and certificate renewal; replaceable in tests.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reads environment variables; replaceable in tests.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public string Name => "proton";
    public string DisplayName => "Proton VPN";

    public void Initialize(IProviderContext context)
    {
        _context = context;
        _sessions = new SessionStore(context.Credentials, context.Log);
        _catalog = new ServerCatalog(context.CacheDirectory, context.Log, Time);
    }

    public ProviderSpec Describe() => new()
    {
        LoginOptions =
        [
            OptionSpec.Value("totp", "CODE", "two-factor code (otherwise prompted when the account needs one)"),
            OptionSpec.Value("totp-secret-file", "FILE", "file with the TOTP secret (base32 or otpauth:// URI), for unattended logins"),
        ],
        ServerOptions = [.. FilterOptions, OptionSpec.Value("city", "CITY", "only servers in this city")],
        ConnectOptions = [.. FilterOptions, OptionSpec.Value("city", "CITY", "only servers in this city")],
        ConfigKeys = ["default_country", "api_url", "device_name"],
    };

    private static OptionSpec[] FilterOptions =>
    [
        OptionSpec.Switch("free", "only free-tier servers"),
        OptionSpec.Switch("p2p", "only P2P servers"),
        OptionSpec.Switch("secure-core", "only Secure Core servers (entry through a second country)"),
        OptionSpec.Switch("tor", "only Tor servers"),
        OptionSpec.Switch("streaming", "only servers for streaming"),
    ];

    public async Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        var username = request.Username.Trim();
        if (username.Length == 0) throw new ProviderException("give the Proton user name: `tunmux proton login <username>`");
        var password = request.Password ?? PromptPassword(username);
        _context.Log.RegisterSecret(password);
        var secondFactor = new SecondFactor(request.Options.Get("totp"), request.Options.Get("totp-secret-file"));
        if (secondFactor.Code is { } code) _context.Log.RegisterSecret(code);

        var api = Api();
        var tokens = await new LoginFlow(api, _context).RunAsync(username, password, secondFactor, cancellationToken).ConfigureAwait(false);
        var session = new ProtonSession { Username = username };
        session.Apply(tokens);
        try
        {
            await RefreshAccountAsync(api, session, cancellationToken).ConfigureAwait(false);
            var keys = VpnKeys.Generate();
            session.Ed25519PrivateKey = keys.Ed25519SeedBase64;
            _context.Log.RegisterSecret(session.Ed25519PrivateKey);
            _context.Log.RegisterSecret(keys.WireGuardPrivateKeyBase64);
            session.Certificate = await Certificates(api).RequestAsync(keys, DeviceName(), cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException)
        {
            await RevokeQuietlyAsync(api).ConfigureAwait(false);
            throw;
        }

        await _sessions.SaveAsync(session, cancellationToken).ConfigureAwait(false);
        _context.Console.Out.WriteLine($"Logged in to Proton VPN as {username} ({session.PlanTitle ?? session.PlanName ?? Tiers.Name(session.MaxTier)})");
    }

    public async Task LogoutAsync(CancellationToken cancellationToken)
    {
        var session = await _sessions.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (session is not null)
        {
            var api = Api(session);
            try
            {
                await api.DeleteAsync("/auth/v4", cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException ex)
            {
                _context.Log.Warning("Could not revoke the Proton session on the server ({Error}); removing local credentials anyway", ex.Message);
            }
            await _sessions.DeleteAsync(cancellationToken).ConfigureAwait(false);
        }
        _catalog.Delete();
        _context.Console.Out.WriteLine(session is null ? "Not logged in to Proton VPN" : $"Logged out of Proton VPN ({session.Username})");
    }

    public async Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken)
    {
        var session = await _sessions.RequireAsync(cancellationToken).ConfigureAwait(false);
        var api = Api(session);
        await RefreshAccountAsync(api, session, cancellationToken).ConfigureAwait(false);
        await _sessions.SaveAsync(session, cancellationToken).ConfigureAwait(false);

        var details = new List<KeyValuePair<string, string>>
        {
            new("Tier", Tiers.Name(session.MaxTier)),
            new("Max connections", session.MaxConnect.ToString(CultureInfo.InvariantCulture)),
        };
        if (session.Certificate is { } cert)
        {
            details.Add(new("Certificate expires", cert.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)));
            if (cert.DeviceName is { } device) details.Add(new("Device", device));
        }
        if (session.Ed25519PrivateKey.Length > 0)
            details.Add(new("WireGuard public key", KeysOf(session).WireGuardPublicKeyBase64));
        details.Add(new("Credentials", _context.Credentials.Description));
        details.Add(new("API", api.BaseUri.ToString()));

        return new AccountInfo
        {
            Username = session.Username,
            Plan = session.PlanTitle ?? session.PlanName,
            ExpiresAt = session.SubscriptionExpires is > 0 and var e ? DateTimeOffset.FromUnixTimeSeconds(e) : null,
            Details = details,
        };
    }

    public async Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken)
    {
        var session = await _sessions.LoadAsync(cancellationToken).ConfigureAwait(false);
        var list = await _catalog.GetAsync(Api(session), query.Refresh, cancellationToken).ConfigureAwait(false);
        if (list.FromCache) _context.Log.Information("Proton server list from cache ({Age} old; --refresh to fetch it again)", ServerCatalog.Describe(list.Age));

        int? maxTier = session?.MaxTier;
        var filter = Filter(query.Country, query.Options);
        var selected = ServerSelector.Select(list.InCountry(filter.Country), filter);
        if (selected.Count == 0) throw new ProviderException(NoMatch(list.All(), filter, maxTier));

        var rows = new ServerInfo[selected.Count];
        for (var i = 0; i < rows.Length; i++) rows[i] = ServerSelector.ToInfo(selected[i], maxTier);
        return rows;
    }

    public async Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var session = await _sessions.RequireAsync(cancellationToken).ConfigureAwait(false);
        var api = Api(session);
        var keys = KeysOf(session);
        _context.Log.RegisterSecret(keys.WireGuardPrivateKeyBase64);

        var list = await _catalog.GetAsync(api, refresh: false, cancellationToken).ConfigureAwait(false);
        LogicalServer server;
        if (request.ServerName is { Length: > 0 } name)
        {
            server = ServerSelector.FindByName(list.All(), name);
            ServerSelector.EnsureUsable(server, session.MaxTier);
        }
        else
        {
            var country = request.Country ?? _context.Config.GetString("default_country");
            server = ServerSelector.ChooseBest(list.All(), Filter(country, request.Options), session.MaxTier);
        }

        if (await Certificates(api).EnsureFreshAsync(session, keys, DeviceName(), cancellationToken).ConfigureAwait(false))
            await _sessions.SaveAsync(session, cancellationToken).ConfigureAwait(false);

        return ProfileBuilder.Build(server, keys);
    }

    public Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken) =>
        throw new ProviderException($"proton has no command '{string.Join(' ', invocation.Path)}'; see `tunmux proton --help`");

    private static ServerFilter Filter(string? country, ParsedOptions options)
    {
        var features = ServerFeatures.None;
        if (options.Has("p2p")) features |= ServerFeatures.P2P;
        if (options.Has("secure-core")) features |= ServerFeatures.SecureCore;
        if (options.Has("tor")) features |= ServerFeatures.Tor;
        if (options.Has("streaming")) features |= ServerFeatures.Streaming;
        return new ServerFilter(string.IsNullOrWhiteSpace(country) ? null : country.Trim(), options.Get("city"), options.Has("free"), features);
    }

    private static string NoMatch(IReadOnlyList<LogicalServer> all, ServerFilter filter, int? maxTier)
    {
        try
        {
            ServerSelector.ChooseBest(all, filter, maxTier);
            return $"no Proton server matches {filter.Describe()}";
        }
        catch (ProviderException ex)
        {
            return ex.Message;
        }
    }

    private string PromptPassword(string username)
    {
        if (!_context.Console.IsInteractive)
            throw new ProviderException("no Proton password: pass it with --password-stdin or TUNMUX_PROTON_PASSWORD, or run from a terminal");
        var password = _context.Console.PromptSecret($"Proton password for {username}: ");
        return string.IsNullOrEmpty(password) ? throw new ProviderException("no password given; login cancelled") : password;
    }

    private async Task RefreshAccountAsync(ProtonApiClient api, ProtonSession session, CancellationToken ct)
    {
        var answer = await api.GetAsync("/vpn/v2", ApiJson.Default.VpnInfoResponse, ct).ConfigureAwait(false);
        var vpn = answer.Vpn ?? throw new ProviderException("the Proton API sent no VPN details for this account; try again later");
        session.PlanName = vpn.PlanName;
        session.PlanTitle = vpn.PlanTitle;
        session.MaxTier = vpn.MaxTier ?? Tiers.Free;
        session.MaxConnect = vpn.MaxConnect ?? 1;
        session.SubscriptionExpires = vpn.ExpirationTime;
        if (api.Tokens is { } t) session.Apply(t);
    }

    private static VpnKeys KeysOf(ProtonSession session)
    {
        try
        {
            return VpnKeys.FromBase64(session.Ed25519PrivateKey);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new ProviderException("the stored Proton session has no usable key; log in again with `tunmux proton login <username>`", ex);
        }
    }

    private CertificateManager Certificates(ProtonApiClient api) => new(api, _context.Log, Time);

    private string DeviceName() =>
        _context.Config.GetString("device_name") is { Length: > 0 } configured ? configured : $"tunmux-{System.Environment.MachineName}";

    /// <summary>The API client, carrying the session's tokens and saving them whenever they are refreshed.</summary>
    private ProtonApiClient Api(ProtonSession? session = null)
    {
        _api ??= new ProtonApiClient(_context.Http.Create(), ApiBase.Resolve(_context.Config, Environment(ApiBase.EnvironmentVariable)), _context.Log);
        _api.Tokens = session?.Tokens;
        _api.TokensRefreshed = session is null ? null : async (tokens, ct) =>
        {
            session.Apply(tokens);
            await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
        };
        _api.ReloadTokens = session is null ? null : async ct =>
        {
            var stored = await _sessions.LoadAsync(ct).ConfigureAwait(false);
            if (stored is null) return null;
            session.Apply(stored.Tokens);
            return stored.Tokens;
        };
        return _api;
    }

    private async Task RevokeQuietlyAsync(ProtonApiClient api)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await api.DeleteAsync("/auth/v4", cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProviderException or OperationCanceledException)
        {
            _context.Log.Debug("Could not revoke the unfinished Proton session: {Error}", ex.Message);
        }
    }
}
