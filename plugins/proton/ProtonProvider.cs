using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Proton.Api;
using Tunmux.Plugins.Proton.Auth;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.Plugins.Proton.Connect;
using Tunmux.Plugins.Proton.Keys;
using Tunmux.Plugins.Proton.Servers;
using Tunmux.Plugins.Proton.Verbs;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.Proton.ProtonProvider))]

namespace Tunmux.Plugins.Proton;

/// <summary>Proton VPN: SRP login with 2FA and human verification, the device's key certificate, the server list, and WireGuard profiles.</summary>
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

    /// <summary>Bounds and waiting of retried API calls; tests replace the waiting.</summary>
    public RetryPolicy Retry { get; init; } = new();

    public string Name => "proton";
    public string DisplayName => "Proton VPN";

    internal IProviderContext Context => _context;

    public void Initialize(IProviderContext context)
    {
        _context = context;
        _sessions = new SessionStore(context.Credentials, context.Log);
        _catalog = new ServerCatalog(context.CacheDirectory, context.Log, Time);
    }

    public ProviderCommands Describe() => new()
    {
        Login = typeof(ProtonLoginOptions),
        Servers = typeof(ProtonServersOptions),
        Connect = typeof(ProtonConnectOptions),
        Verbs = [typeof(FeaturesOptions), typeof(CertificatesGroup)],
        ConfigKeys = ["default_country", "api_url", "device_name"],
    };

    public async Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        var username = request.Username.Trim();
        if (username.Length == 0) throw new ProviderException("give the Proton user name: `tunmux proton login <username>`");
        var login = request.Options as ProtonLoginOptions;
        var verification = VerificationFrom(login?.HvToken, login?.HvType);
        var password = request.Password ?? PromptPassword(username);
        _context.Log.RegisterSecret(password);
        var secondFactor = new SecondFactor(login?.Totp, login?.TotpSecretFile);
        if (secondFactor.Code is { } code) _context.Log.RegisterSecret(code);
        var previous = await PreviousSessionAsync(cancellationToken).ConfigureAwait(false);

        var api = Api();
        var tokens = await new LoginFlow(api, _context).RunAsync(username, password, secondFactor, verification, cancellationToken).ConfigureAwait(false);
        var session = new ProtonSession { Username = username };
        session.Apply(tokens);
        string outcome;
        try
        {
            await RefreshAccountAsync(api, session, cancellationToken).ConfigureAwait(false);
            outcome = await AttachDeviceKeyAsync(api, session, previous, cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException)
        {
            await RevokeQuietlyAsync(api).ConfigureAwait(false);
            throw;
        }

        await _sessions.SaveAsync(session, cancellationToken).ConfigureAwait(false);
        _context.Console.Out.WriteLine($"Logged in to Proton VPN as {username} ({session.PlanTitle ?? session.PlanName ?? Tiers.Name(session.MaxTier)}); {outcome}");
    }

    /// <summary>
    /// The device key: the one of the previous login of the same user when there is one (so the
    /// account keeps one configuration for this device), its certificate renewed when due; else a
    /// new key and certificate. A previous login of another user is logged out on the server.
    /// </summary>
    private async Task<string> AttachDeviceKeyAsync(ProtonApiClient api, ProtonSession session, ProtonSession? previous, CancellationToken ct)
    {
        var certificates = Certificates(api);
        if (previous is not null && string.Equals(previous.Username, session.Username, StringComparison.OrdinalIgnoreCase)
            && TryKeysOf(previous) is { } kept)
        {
            session.Ed25519PrivateKey = previous.Ed25519PrivateKey;
            session.Certificate = previous.Certificate;
            var renewed = await certificates.EnsureFreshAsync(session, kept, DeviceName(), ct).ConfigureAwait(false);
            return renewed ? "this device's key kept, its certificate renewed" : "this device's key and certificate kept";
        }

        if (previous is not null) await ForgetOnServerAsync(previous).ConfigureAwait(false);
        var keys = VpnKeys.Generate();
        session.Ed25519PrivateKey = keys.Ed25519SeedBase64;
        _context.Log.RegisterSecret(session.Ed25519PrivateKey);
        _context.Log.RegisterSecret(keys.WireGuardPrivateKeyBase64);
        session.Certificate = await certificates.RequestAsync(keys, DeviceName(), DeviceFeatures.Default(session.MaxTier), renew: false, ct).ConfigureAwait(false);
        return "new device key certified";
    }

    /// <summary>The stored session before this login, or null (absent or unreadable: a login replaces it anyway).</summary>
    private async Task<ProtonSession?> PreviousSessionAsync(CancellationToken ct)
    {
        try
        {
            return await _sessions.LoadAsync(ct).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            _context.Log.Debug("Ignoring the previous Proton session: {Error}", ex.Message);
            return null;
        }
    }

    /// <summary>The token of <c>--hv-token</c> (of type <c>--hv-type</c>, captcha by default), checked before any request.</summary>
    private static HumanVerificationToken? VerificationFrom(string? token, string? type)
    {
        if (token is null)
            return type is null ? null : throw new ProviderException("--hv-type goes with --hv-token; give the token Proton's verification page was opened with");
        token = token.Trim();
        if (token.Length is 0 or > 512 || token.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new ProviderException("--hv-token is not a verification token; copy the token= value of the verification address");
        type = (type ?? "captcha").Trim().ToLowerInvariant();
        if (type.Length is 0 or > 32 || !type.All(char.IsAsciiLetterOrDigit))
            throw new ProviderException($"--hv-type '{type}' is not a verification method (captcha, email, sms)");
        return new HumanVerificationToken(type, token);
    }

    public async Task LogoutAsync(CancellationToken cancellationToken)
    {
        var session = await _sessions.LoadAsync(cancellationToken).ConfigureAwait(false);
        var revoked = false;
        if (session is not null)
        {
            var api = Api(session);
            revoked = await RevokeDeviceCertificateAsync(api, session, cancellationToken).ConfigureAwait(false);
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
        _context.Console.Out.WriteLine(session is null
            ? "Not logged in to Proton VPN"
            : $"Logged out of Proton VPN ({session.Username}){(revoked ? "; this device's certificate revoked" : "")}");
    }

    /// <summary>Revokes this device's persistent certificate before the session goes; a failure is a warning (the session still goes).</summary>
    private async Task<bool> RevokeDeviceCertificateAsync(ProtonApiClient api, ProtonSession session, CancellationToken ct)
    {
        if (session.Certificate?.SerialNumber is not { Length: > 0 } serial) return false;
        try
        {
            return await Certificates(api).RevokeAsync(serial, ct).ConfigureAwait(false) > 0;
        }
        catch (ProviderException ex)
        {
            _context.Log.Warning("Could not revoke this device's Proton certificate {Serial} ({Error}); remove it under WireGuard configurations at account.protonvpn.com", serial, ex.Message);
            return false;
        }
    }

    /// <summary>Best effort: the certificate and session of a previous login of another user.</summary>
    private async Task ForgetOnServerAsync(ProtonSession previous)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var api = new ProtonApiClient(_context.Http.Create(), ApiBaseUri(), _context.Log, Retry) { Tokens = previous.Tokens };
        try
        {
            if (previous.Certificate?.SerialNumber is { Length: > 0 } serial) await Certificates(api).RevokeAsync(serial, cts.Token).ConfigureAwait(false);
            await api.DeleteAsync("/auth/v4", cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProviderException or OperationCanceledException)
        {
            _context.Log.Debug("Could not log out the previous Proton account {User}: {Error}", previous.Username, ex.Message);
        }
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
            details.Add(new("Certificate renewal", CertificateManager.RenewalDue(cert).ToString("u", CultureInfo.InvariantCulture)));
            if (cert.DeviceName is { } device) details.Add(new("Device", device));
            details.AddRange((cert.Features ?? DeviceFeatures.Default(session.MaxTier)).Describe());
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
        var filter = Filter(query.Country, query.Options as IProtonFilters);
        var selected = ServerSelector.Select(list.InCountry(filter.Country), filter);
        if (selected.Count == 0) throw new ProviderException(NoMatch(list.All(), filter, maxTier));
        // Latency is measured and ordered by the host from each row's entry; the rows come in score order for it.
        selected.Sort(Order(query.Sort));

        var rows = new ServerInfo[selected.Count];
        for (var i = 0; i < rows.Length; i++) rows[i] = ServerSelector.ToInfo(selected[i], maxTier);
        return rows;
    }

    /// <summary>The order of <c>--sort</c>: Proton's score by default (lower is better), load, or name.</summary>
    private static Comparison<LogicalServer> Order(ServerSort? sort) => sort switch
    {
        ServerSort.Load => ServerSelector.CompareLoad,
        ServerSort.Name => ServerSelector.CompareNames,
        _ => ServerSelector.Compare,
    };

    /// <summary>The gateway inside every Proton tunnel, which answers NAT-PMP on port-forwarding servers.</summary>
    public const string PortForwardGateway = ProfileBuilder.Dns;

    public async Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var session = await _sessions.RequireAsync(cancellationToken).ConfigureAwait(false);
        var api = Api(session);
        var keys = KeysOf(session);
        _context.Log.RegisterSecret(keys.WireGuardPrivateKeyBase64);
        var portForward = request.Options is ProtonConnectOptions { PortForward: true };

        _context.Steps.Step("fetching Proton's server list");
        var list = await _catalog.GetAsync(api, refresh: false, cancellationToken).ConfigureAwait(false);
        LogicalServer server;
        IReadOnlyList<ConnectAlternative> alternatives;
        if (request.ServerName is { Length: > 0 } name)
        {
            server = ServerSelector.FindByName(list.All(), name);
            ServerSelector.EnsureUsable(server, session.MaxTier);
            if (portForward && !server.Has(ServerFeatures.P2P))
                throw new ProviderException($"{server.Name} does not forward ports (only P2P servers do); pick one with `tunmux proton servers --p2p`");
            // A server named by the user stays that server: the alternatives are its other machines.
            alternatives = ProfileBuilder.OtherMachines(server, keys).Take(RankedChoice.MaxAlternatives)
                .Select(p => new ConnectAlternative(p, ProfileBuilder.Identity(server))).ToList();
        }
        else
        {
            var country = request.Country ?? _context.Config.GetString("default_country");
            var filter = Filter(country, request.Options as IProtonFilters);
            // Proton forwards ports on its P2P servers only, so the request implies them.
            if (portForward) filter = filter with { Required = filter.Required | ServerFeatures.P2P };
            var all = list.All();
            var usable = ServerSelector.Usable(all, filter, session.MaxTier, Order(request.Sort));
            if (usable.Count == 0) ServerSelector.ChooseBest(all, filter, session.MaxTier); // throws, naming what is close
            if (request.Sort == ServerSort.Latency)
            {
                _context.Steps.Step($"measuring the round trip to {usable.Count} servers");
                usable = await LatencyRanking.OrderAsync(_context.Latency, usable, s => s.Name, Entry, cancellationToken).ConfigureAwait(false);
            }
            server = usable[0];
            alternatives = usable.Skip(1)
                .Select(s => s.BestPhysical is { } p && ProfileBuilder.TryProfile(s, p, keys) is { } profile ? new ConnectAlternative(profile, ProfileBuilder.Identity(s)) : null)
                .OfType<ConnectAlternative>().Take(RankedChoice.MaxAlternatives).ToList();
        }

        _context.Steps.Step("checking the device key's certificate");
        var certificates = Certificates(api);
        var changed = await certificates.EnsureFreshAsync(session, keys, DeviceName(), cancellationToken).ConfigureAwait(false);
        if (portForward) changed |= await TurnOnPortForwardingAsync(certificates, session, keys, cancellationToken).ConfigureAwait(false);
        if (changed) await _sessions.SaveAsync(session, cancellationToken).ConfigureAwait(false);

        var plan = ProfileBuilder.Build(server, keys);
        if (portForward)
        {
            plan = plan with { Profile = plan.Profile with { PortForwardGateway = PortForwardGateway } };
            alternatives = alternatives.Select(a => a with { Profile = a.Profile with { PortForwardGateway = PortForwardGateway } }).ToList();
        }
        return plan with
        {
            Alternatives = alternatives,
            RenewAfter = session.Certificate is { SerialNumber: not null } cert ? CertificateManager.RenewalDue(cert) : null,
        };
    }

    /// <summary>Where a logical's WireGuard packets go: its first usable machine's entry address.</summary>
    private static (string Host, int Port)? Entry(LogicalServer server) =>
        server.BestPhysical is { } p ? (p.EntryIp, ProfileBuilder.Port) : null;

    /// <summary>
    /// Renews this device's certificate when it is due (or when asked), so exits that stay up keep a
    /// valid one, and says when it is due next.
    /// </summary>
    public async Task<RefreshResult> RefreshAsync(Contracts.RefreshRequest request, CancellationToken cancellationToken)
    {
        var session = await _sessions.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            if (request.Instances.Count == 0) return RefreshResult.NothingDue;
            throw new ProviderException($"not logged in to Proton, so the certificate of {string.Join(", ", request.Instances.Select(i => i.Key))} cannot be renewed; log in with `tunmux proton login <username>`");
        }
        var api = Api(session);
        var certificates = Certificates(api);
        if (!request.Force && !certificates.NeedsRenewal(session.Certificate))
            return new RefreshResult(CertificateManager.RenewalDue(session.Certificate!), null);

        var keys = KeysOf(session);
        var features = session.Certificate?.Features ?? DeviceFeatures.Default(session.MaxTier);
        session.Certificate = await certificates.IssueAsync(session, keys, DeviceName(), features, cancellationToken).ConfigureAwait(false);
        await _sessions.SaveAsync(session, cancellationToken).ConfigureAwait(false);
        return new RefreshResult(CertificateManager.RenewalDue(session.Certificate),
            $"Renewed this device's Proton certificate; valid until {session.Certificate.ExpiresAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}");
    }

    /// <summary>Port forwarding is a feature of the device's certificate: turned on (and said) when a connect asks for it.</summary>
    private async Task<bool> TurnOnPortForwardingAsync(CertificateManager certificates, ProtonSession session, VpnKeys keys, CancellationToken ct)
    {
        var features = session.Certificate?.Features ?? DeviceFeatures.Default(session.MaxTier);
        if (features.PortForwarding) return false;
        session.Certificate = await certificates.IssueAsync(session, keys, DeviceName(), features with { PortForwarding = true }, ct).ConfigureAwait(false);
        _context.Console.Out.WriteLine("Port forwarding turned on for this device's certificate (it stays on; `tunmux proton features --port-forward off` turns it off)");
        return true;
    }

    public Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken) => invocation.Options switch
    {
        CertificatesList or CertificatesRevoke => new CertificatesVerb(this).RunAsync(invocation.Options, cancellationToken),
        FeaturesOptions features => new FeaturesVerb(this).RunAsync(features, cancellationToken),
        _ => throw new ProviderException($"proton has no command '{string.Join(' ', invocation.Path)}'; see `tunmux proton --help`"),
    };

    internal static ServerFilter Filter(string? country, IProtonFilters? options)
    {
        var features = ServerFeatures.None;
        if (options is not null)
        {
            if (options.P2p) features |= ServerFeatures.P2P;
            if (options.SecureCore) features |= ServerFeatures.SecureCore;
            if (options.Tor) features |= ServerFeatures.Tor;
            if (options.Streaming) features |= ServerFeatures.Streaming;
            foreach (var tag in options.Tags) features |= Tag(tag);
        }
        return new ServerFilter(string.IsNullOrWhiteSpace(country) ? null : country.Trim(), options?.City, options?.Free ?? false, features);
    }

    private static ServerFeatures Tag(string tag) => tag.Trim().ToLowerInvariant() switch
    {
        "secure-core" => ServerFeatures.SecureCore,
        "tor" => ServerFeatures.Tor,
        "p2p" => ServerFeatures.P2P,
        "streaming" => ServerFeatures.Streaming,
        "ipv6" => ServerFeatures.Ipv6,
        _ => throw new ProviderException($"proton: unknown server tag '{tag}'; tags: secure-core, tor, p2p, streaming, ipv6"),
    };

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

    internal Task<ProtonSession> RequireSessionAsync(CancellationToken ct) => _sessions.RequireAsync(ct);

    internal Task SaveSessionAsync(ProtonSession session, CancellationToken ct) => _sessions.SaveAsync(session, ct);

    internal static VpnKeys KeysOf(ProtonSession session) =>
        TryKeysOf(session) ?? throw new ProviderException("the stored Proton session has no usable key; log in again with `tunmux proton login <username>`");

    private static VpnKeys? TryKeysOf(ProtonSession session)
    {
        try
        {
            return session.Ed25519PrivateKey.Length == 0 ? null : VpnKeys.FromBase64(session.Ed25519PrivateKey);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return null;
        }
    }

    internal CertificateManager Certificates(ProtonApiClient api) => new(api, _context.Log, Time);

    internal string DeviceName() =>
        _context.Config.GetString("device_name") is { Length: > 0 } configured ? configured : $"tunmux-{System.Environment.MachineName}";

    private Uri ApiBaseUri() => ApiBase.Resolve(_context.Config, Environment(ApiBase.EnvironmentVariable));

    /// <summary>The API client, carrying the session's tokens and saving them whenever they are refreshed.</summary>
    internal ProtonApiClient Api(ProtonSession? session = null)
    {
        _api ??= new ProtonApiClient(_context.Http.Create(), ApiBaseUri(), _context.Log, Retry);
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
