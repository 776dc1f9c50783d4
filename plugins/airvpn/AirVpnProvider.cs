using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Api;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.AirVpn.Connect;
using Tunmux.Plugins.AirVpn.Model;
using Tunmux.Plugins.AirVpn.Verbs;
using Tunmux.Plugins.AirVpn.Web;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.AirVpn.AirVpnProvider))]

namespace Tunmux.Plugins.AirVpn;

/// <summary>
/// AirVPN: the encrypted API (act=user, act=manifest) for login, servers and WireGuard profiles,
/// and the airvpn.org web session for ports, devices, API keys, sessions and config generation.
/// </summary>
public sealed class AirVpnProvider : IVpnProvider
{
    private IProviderContext _context = null!;

    /// <summary>Clock for manifest freshness; replaceable in tests.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public string Name => "airvpn";
    public string DisplayName => "AirVPN";

    public void Initialize(IProviderContext context) => _context = context;

    public ProviderCommands Describe() => AirCommands.Spec;

    // Settings are read per call so that environment overrides set after start-up (tests, wrappers) apply.
    private AirAccount Account() => new(Settings.From(_context.Config), _context, Time);

    public async Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        var username = request.Username.Trim();
        if (username.Length == 0) throw new ProviderException("airvpn: empty user name; run 'tunmux airvpn login USER'");
        var password = request.Password;
        if (password is null)
        {
            if (!_context.Console.IsInteractive)
                throw new ProviderException("airvpn: no password given; pipe it with --password-stdin or set TUNMUX_AIRVPN_PASSWORD");
            password = _context.Console.PromptSecret($"AirVPN password for {username}: ");
        }
        if (string.IsNullOrEmpty(password)) throw new ProviderException("airvpn: empty password; login cancelled");
        _context.Log.RegisterSecret(password);

        var account = Account();
        var user = await account.Api.UserAsync(username, password, cancellationToken);
        var previous = await account.Store.LoadAsync(cancellationToken);
        var sameUser = previous is not null && string.Equals(previous.Username, user.Username, StringComparison.OrdinalIgnoreCase);
        var session = new AirSession
        {
            Username = user.Username,
            Password = password,
            WgPublicKey = user.WgPublicKey,
            ExpiresAt = user.ExpiresAt,
            Keys = user.Keys,
            ApiKey = sameUser ? previous!.ApiKey : null,
        };
        await account.Store.SaveAsync(session, cancellationToken);
        // A web session of another account (or with an old password) must not be reused.
        await _context.Credentials.DeleteAsync(AirWeb.Item, cancellationToken);

        var manifest = await account.ManifestAsync(session, refresh: true, cancellationToken);
        if (user.Keys.Count == 0)
            _context.Log.Warning("airvpn: the account has no device key yet; add one with 'tunmux airvpn devices add --name NAME' before connecting");
        _context.Console.Out.WriteLine($"Logged in to AirVPN as {user.Username} ({user.Keys.Count} device key(s), {manifest.Servers.Count} servers)");
    }

    public async Task LogoutAsync(CancellationToken cancellationToken)
    {
        // AirVPN's API has no session to revoke: forgetting the credentials is the logout.
        var account = Account();
        await account.Store.DeleteAsync(cancellationToken);
        await _context.Credentials.DeleteAsync(AirWeb.Item, cancellationToken);
        account.DeleteManifest();
    }

    public async Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken)
    {
        var account = Account();
        var session = await account.Store.RequireAsync(cancellationToken);
        try
        {
            session = await account.RefreshUserAsync(session, cancellationToken);
        }
        catch (ProviderException e) when (e.Message.StartsWith("airvpn: no bootstrap server", StringComparison.Ordinal))
        {
            _context.Log.Warning("airvpn: showing stored account data; {Reason}", e.Message);
        }

        var details = new List<KeyValuePair<string, string>>
        {
            new("Device keys", session.Keys.Count.ToString(CultureInfo.InvariantCulture)),
        };
        foreach (var k in session.Keys)
            details.Add(new($"Device {k.Name}", string.Join(", ", new[] { k.WgIpv4, k.WgIpv6 }.Where(a => a.Length > 0))));
        if (account.Settings.DefaultDevice is { } dd) details.Add(new("Default device", dd));
        if (account.Settings.DefaultCountry is { } dc) details.Add(new("Default country", dc));
        details.Add(new("Credentials", _context.Credentials.Description));

        return new AccountInfo
        {
            Username = session.Username,
            ExpiresAt = session.ExpiresAt is > 0 ? DateTimeOffset.FromUnixTimeSeconds(session.ExpiresAt.Value) : null,
            Details = details,
        };
    }

    public async Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken)
    {
        var account = Account();
        var session = await account.Store.RequireAsync(cancellationToken);
        var manifest = await account.ManifestAsync(session, query.Refresh, cancellationToken);
        IEnumerable<AirServer> servers = query.Country is { } cc ? AirAccount.ServersIn(manifest, cc) : manifest.Servers;
        if (query.Options is AirServersOptions { Tags: var tags } && tags.Any())
            servers = servers.Where(s => tags.Any(t => Matches(s, t.Trim())));
        var mode = manifest.WireGuardModes.Any() ? ProfileBuilder.WireGuardMode(manifest) : null;
        // Without --sort, by country and name as the original tool lists them; latency is measured and ordered by the host.
        servers = query.Sort is null ? servers.OrderBy(s => s.CountryCode, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase) : Order(servers, query.Sort);
        return servers.Select(s => new ServerInfo
        {
            Name = s.Name,
            EntryHost = mode is null ? null : s.EntryFor(mode),
            EntryPort = mode?.Port,
            Country = s.CountryCode.ToUpperInvariant(),
            City = s.Location,
            Load = (int)Math.Min(100, s.LoadPercent),
            Score = s.Score,
            Online = s.Online,
            Extra =
            [
                new("Users", $"{s.Users}/{s.UsersMax}"),
                new("Bandwidth", $"{s.Bandwidth * 8 / 1_000_000}/{s.BandwidthMax} Mbit/s"),
            ],
        }).ToList();
    }

    public async Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var account = Account();
        var session = await account.Store.RequireAsync(cancellationToken);
        _context.Steps.Step("reading AirVPN's server manifest");
        var manifest = await account.ManifestAsync(session, refresh: false, cancellationToken);
        var port = ProfileBuilder.Port((request.Options as AirConnectOptions)?.Port);

        IReadOnlyList<AirServer> candidates;
        var named = request.ServerName is { Length: > 0 };
        string? country;
        if (named)
        {
            var name = request.ServerName!;
            if (!manifest.Servers.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                manifest = await account.ManifestAsync(session, refresh: true, cancellationToken); // maybe a server newer than the cache
            var server = AirAccount.ServerNamed(manifest, name);
            if (!server.Online) throw new ProviderException($"airvpn: server {server.Name} is closed ({server.WarningClosed}); pick another");
            candidates = [server];
            country = server.CountryCode;
        }
        else
        {
            country = request.Country ?? account.Settings.DefaultCountry;
            var ranked = country is null ? manifest.Servers : AirAccount.ServersIn(manifest, country);
            candidates = Order(ranked.Where(s => s.Online), request.Sort ?? ServerSort.Score).ToList();
            if (candidates.Count == 0)
                throw new ProviderException(country is null
                    ? "airvpn: no server is open; refresh the list with 'tunmux airvpn servers --refresh'"
                    : $"airvpn: every server in '{country}' is closed; pick another country");
        }

        _context.Steps.Step("choosing the device key");
        (session, var key) = await account.KeyAsync(session, (request.Options as AirConnectOptions)?.Key, cancellationToken);
        var mode = ProfileBuilder.WireGuardMode(manifest, port);
        if (!named && request.Sort == ServerSort.Latency)
            candidates = await LatencyRanking.OrderAsync(_context.Latency, candidates, s => s.Name, s => s.EntryFor(mode) is { } ip ? (ip, mode.Port) : null, cancellationToken);
        var chosen = await AnnounceAsync(account, session, candidates, named, cancellationToken);
        var profile = ProfileBuilder.Build(session, key, chosen, mode);
        _context.Log.Debug("airvpn: connecting device {Device} to {Server} on port {Port}", key.Name, chosen.Name, mode.Port);

        // Failover goes to the next servers of the same request (of the named server's country when one was named);
        // the daemon switches on its own, and the host announces the switch (OnServerChangedAsync).
        var others = named
            ? Order(AirAccount.ServersIn(manifest, country!).Where(s => s.Online && s != chosen), ServerSort.Score)
            : candidates.SkipWhile(s => s != chosen).Skip(1);
        var alternatives = others
            .Select(s => TryBuild(session, key, s, mode) is { } p ? new ConnectAlternative(p, Identity(s)) : null)
            .OfType<ConnectAlternative>().Take(RankedChoice.MaxAlternatives).ToList();
        return new ConnectPlan(profile, Identity(chosen)) { Alternatives = alternatives };
    }

    private static ServerIdentity Identity(AirServer s) => new(s.Name, s.CountryCode.ToUpperInvariant(), s.Location);

    private static WireGuardProfile? TryBuild(AirSession session, AirKey key, AirServer server, AirMode mode)
    {
        try
        {
            return ProfileBuilder.Build(session, key, server, mode);
        }
        catch (ProviderException)
        {
            return null;
        }
    }

    /// <summary>The order of <c>--sort</c>: Eddie's score (lower is better), load, or name; latency keeps the score order for the host to measure.</summary>
    private static IEnumerable<AirServer> Order(IEnumerable<AirServer> servers, ServerSort? sort) => sort switch
    {
        ServerSort.Load => servers.OrderBy(s => s.LoadPercent).ThenBy(s => s.Score).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase),
        ServerSort.Name => servers.OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase),
        _ => servers.OrderBy(s => s.Score).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase),
    };

    /// <summary>
    /// The daemon moved an exit to another server: tell AirVPN, as Eddie's act=connect does before
    /// each connection, so the account's sessions and its limits see the server in use. AirVPN's
    /// objection or a failed call is a warning: the exit is already up there.
    /// </summary>
    public async Task OnServerChangedAsync(ServerChange change, CancellationToken cancellationToken)
    {
        var account = Account();
        var session = await account.Store.LoadAsync(cancellationToken);
        if (session is null)
        {
            _context.Log.Warning("airvpn: exit {Instance} moved to {Server}, but tunmux is logged out and cannot tell AirVPN", change.Instance, change.To.Name);
            return;
        }
        try
        {
            var answer = await account.Api.ConnectAsync(session.Username, session.Password, change.To.Name, cancellationToken);
            if (answer.Allowed)
                _context.Log.Debug("airvpn: announced {Server} for exit {Instance}", change.To.Name, change.Instance);
            else
                _context.Log.Warning("airvpn: AirVPN objects to {Server}, where exit {Instance} moved: {Message}", change.To.Name, change.Instance, answer.Message.TrimEnd('.'));
        }
        catch (ProviderException e)
        {
            _context.Log.Warning("airvpn: could not tell AirVPN that exit {Instance} moved to {Server} ({Error})", change.Instance, change.To.Name, e.Message);
        }
    }

    /// <summary>Servers AirVPN may turn away with "next" before tunmux gives up (Eddie moves on after each such answer).</summary>
    private const int MaxAnnouncements = 3;

    /// <summary>
    /// act=connect for the chosen server before the tunnel exists, honouring the answer as Eddie does
    /// (Session.cs): no message means go; <c>message_action</c> "stop" (too many sessions, account
    /// expired) ends the connect with AirVPN's message; "next" moves to the next ranked server when the
    /// server was chosen, not named; anything else asks to try again. A failure of the call itself is
    /// a warning only: Eddie connects anyway.
    /// </summary>
    private async Task<AirServer> AnnounceAsync(AirAccount account, AirSession session, IReadOnlyList<AirServer> candidates, bool named, CancellationToken ct)
    {
        for (var i = 0; ; i++)
        {
            var server = candidates[i];
            ConnectAnswer answer;
            try
            {
                answer = await account.Api.ConnectAsync(session.Username, session.Password, server.Name, ct);
            }
            catch (ProviderException e)
            {
                _context.Log.Warning("airvpn: could not announce the connection to {Server} ({Error}); connecting anyway", server.Name, e.Message);
                return server;
            }
            if (answer.Allowed) return server;

            var message = answer.Message.TrimEnd('.');
            if (answer.Action == "next" && !named && i + 1 < Math.Min(candidates.Count, MaxAnnouncements))
            {
                _context.Log.Information("airvpn: AirVPN turns {Server} away ({Message}); trying {Next}", server.Name, message, candidates[i + 1].Name);
                continue;
            }
            throw new ProviderException(answer.Action is "stop" or "next"
                ? $"airvpn: AirVPN refuses the connection to {server.Name}: {message}"
                : $"airvpn: AirVPN refuses the connection to {server.Name} for now: {message}; try again in a few seconds");
        }
    }

    public Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        var account = Account();
        return invocation.Options switch
        {
            SessionsOptions o => new SessionsVerb(account, _context).RunAsync(o, cancellationToken),
            PortsList or PortsAdd or PortsSet or PortsInfo or PortsCheck or PortsRemove => new PortsVerbs(account, _context).RunAsync(invocation.Options, cancellationToken),
            DevicesList or DevicesAdd or DevicesRename or DevicesDelete => new DevicesVerbs(account, _context).RunAsync(invocation.Options, cancellationToken),
            ApiKeysList or ApiKeysAdd or ApiKeysRename or ApiKeysDelete => new ApiKeysVerbs(account, _context).RunAsync(invocation.Options, cancellationToken),
            GenerateOptions o => new GenerateVerb(account, _context).RunAsync(o, cancellationToken),
            _ => throw new ProviderException($"airvpn: unknown verb '{string.Join(' ', invocation.Path)}'; verbs: sessions, ports, devices, api, generate"),
        };
    }

    /// <summary>A <c>servers -t</c> keyword: part of the name, the country code or the location.</summary>
    private static bool Matches(AirServer s, string word) =>
        word.Length > 0 && (s.Name.Contains(word, StringComparison.OrdinalIgnoreCase)
            || s.CountryCode.Equals(word, StringComparison.OrdinalIgnoreCase)
            || s.Location.Contains(word, StringComparison.OrdinalIgnoreCase));
}
