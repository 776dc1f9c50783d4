using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Ivpn.Account;
using Tunmux.Plugins.Ivpn.Api;
using Tunmux.Plugins.Ivpn.Connect;
using Tunmux.Plugins.Ivpn.Servers;

namespace Tunmux.Plugins.Ivpn;

internal sealed record IvpnInfo(string MaskedAccount, bool Active, DateTimeOffset? ActiveUntil, string? Plan, string? DeviceName, string TunnelAddress,
    string PublicKey, string Api, string Credentials);

internal sealed record IvpnPlan(ConnectPlan Chosen, IReadOnlyList<ConnectPlan> Alternatives, IvpnHost Host, int Port);

/// <summary>
/// Everything IVPN's verbs do, apart from how they are declared on the command line: login with the
/// second factor and the session limit, account creation on the web site, logout (deletes the
/// session), the account's state, the server list and the profile of a host.
/// </summary>
internal sealed class IvpnService
{
    public const string AccountVariable = "TUNMUX_IVPN_ACCOUNT";

    /// <summary>IVPN's daemon makes a new WireGuard key every day (daemon/service/preferences DefaultWGKeysInterval).</summary>
    public static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(1);

    /// <summary>How long a session check at connect stays good.</summary>
    public static readonly TimeSpan StatusCheckInterval = TimeSpan.FromHours(1);

    private readonly IProviderContext _context;
    private readonly SessionStore _sessions;
    private readonly ServerCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private IvpnApi? _api;

    public IvpnService(IProviderContext context, TimeProvider time, Func<string, string?> environment)
    {
        _context = context;
        _time = time;
        _environment = environment;
        _sessions = new SessionStore(context.Credentials, context.Log);
        _catalog = new ServerCatalog(context.CacheDirectory, context.Log, time);
    }

    public string ReadAccountId(string? argument, bool fromStdin, string? piped = null) =>
        new AccountNumberInput("IVPN", "account ID", AccountVariable, "tunmux ivpn login") { Normalize = AccountId.Normalize }
            .Read(argument, fromStdin, piped, _context.Console, _context.Log, _environment);

    public async Task<IvpnLoginOutcome> LoginAsync(string accountId, bool force, string? totp, string? totpSecretFile, CancellationToken ct)
    {
        var outcome = await new SessionLogin(Api(), _sessions, _context, _time).RunAsync(accountId, force, totp, totpSecretFile, ct).ConfigureAwait(false);
        var s = outcome.Session;
        var device = s.DeviceName is { Length: > 0 } d ? $" as device \"{d}\"" : "";
        _context.Console.Out.WriteLine(outcome.AlreadyLoggedIn
            ? $"Already logged in to IVPN account {AccountId.Masked(s.AccountId)}{device}"
            : $"Logged in to IVPN account {AccountId.Masked(s.AccountId)}{device}{(outcome.ForcedOthersOut ? " (other sessions logged out)" : "")}");
        if (!s.Active)
            _context.Console.Error.WriteLine($"warning: the IVPN account is not active; add time at {IvpnErrors.AccountPage} before connecting");
        return outcome;
    }

    /// <summary>Creates an account on IVPN's web site (no payment needed; it stays inactive until time is added).</summary>
    public async Task<CreatedAccount> CreateAccountAsync(string product, CancellationToken ct)
    {
        var name = product.Trim().ToLowerInvariant() switch
        {
            "standard" => "IVPN Standard",
            "pro" => "IVPN Pro",
            _ => throw new ProviderException($"--product '{product}' is not an IVPN plan; use standard or pro"),
        };
        var created = await Api().CreateAccountAsync(name, ct).ConfigureAwait(false);
        _context.Console.Error.WriteLine("The account ID is the only key to the account: keep it somewhere safe. " +
            $"Add time at {IvpnErrors.AccountPage}, then log in with `tunmux ivpn login --account-stdin`.");
        return created;
    }

    public async Task<bool> LogoutAsync(CancellationToken ct)
    {
        var (session, removed) = await _sessions.LoadForLogoutAsync(_context.Console.Out, "Removed a damaged IVPN session", ct).ConfigureAwait(false);
        if (session is null) return removed;
        try
        {
            await Api().DeleteSessionAsync(session.SessionToken, ct).ConfigureAwait(false);
        }
        catch (IvpnApiException ex) when (ex.Status == IvpnErrors.SessionNotFound)
        {
            _context.Log.Debug("The IVPN session had already ended");
        }
        catch (ProviderException ex)
        {
            _context.Log.Warning("Could not end the IVPN session on the server ({Error}); removing local credentials anyway", ex.Message);
        }
        await _sessions.DeleteAsync(ct).ConfigureAwait(false);
        _context.Console.Out.WriteLine($"Logged out of IVPN account {AccountId.Masked(session.AccountId)}");
        return true;
    }

    public async Task<IvpnInfo> InfoAsync(CancellationToken ct)
    {
        var session = await _sessions.RequireAsync(ct).ConfigureAwait(false);
        var api = Api();
        var status = await api.SessionStatusAsync(session.SessionToken, ct).ConfigureAwait(false);
        session.Apply(status.ServiceStatus, _time.GetUtcNow());
        if (status.DeviceName is { Length: > 0 } device) session.DeviceName = device;
        await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
        return new IvpnInfo(AccountId.Masked(session.AccountId), session.Active, session.ActiveUntil, session.Plan, session.DeviceName,
            session.TunnelAddress, session.PublicKey, api.BaseUri.ToString(), _context.Credentials.Description);
    }

    public async Task<(List<IvpnHost> Rows, CachedList<ServerList> List)> ServersAsync(HostFilter filter, ServerSort sort, bool refresh, CancellationToken ct)
    {
        var result = await _catalog.GetAsync(Api(), refresh, ct).ConfigureAwait(false);
        if (result.FromCache)
            _context.Log.Information("IVPN server list from cache ({Age} old; --refresh to fetch it again)", CachedFile.Describe(result.Age));
        return (HostSelector.List(result.List, filter, sort), result);
    }

    public async Task<IvpnPlan> PrepareConnectAsync(string? name, HostFilter filter, int? port, ServerSort? sort, CancellationToken ct)
    {
        var session = await _sessions.RequireAsync(ct).ConfigureAwait(false);
        var api = Api();
        await EnsureUsableAsync(api, session, ct).ConfigureAwait(false);
        await RotateKeyIfDueAsync(api, session, ct).ConfigureAwait(false);

        _context.Steps.Step("fetching IVPN's server list");
        var result = await _catalog.GetAsync(api, refresh: false, ct).ConfigureAwait(false);
        var chosenPort = ProfileBuilder.ChoosePort(result.List, port);
        var candidates = HostSelector.Candidates(result.List, name, filter, sort);
        if (sort == ServerSort.Latency)
        {
            _context.Steps.Step($"measuring the round trip to {candidates.Ranked.Count} servers");
            var ordered = await LatencyRanking.OrderAsync(_context.Latency, candidates.Ranked, h => h.Hostname, h => (h.Host, chosenPort), ct).ConfigureAwait(false);
            candidates = candidates with { Ranked = ordered };
        }
        var (chosen, alternatives) = candidates.Split();
        return new IvpnPlan(ProfileBuilder.Build(session, chosen, chosenPort),
            [.. alternatives.Select(h => ProfileBuilder.Build(session, h, chosenPort))], chosen, chosenPort);
    }

    /// <summary>An ended session or an inactive account is refused here, not left to a handshake that never completes.</summary>
    private async Task EnsureUsableAsync(IvpnApi api, IvpnSession session, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var due = session.CheckedAt is not { } at || now - at >= StatusCheckInterval || !session.Active || session.ActiveUntil <= now;
        if (!due) return;
        _context.Steps.Step("checking the IVPN session and account");
        try
        {
            var status = await api.SessionStatusAsync(session.SessionToken, ct).ConfigureAwait(false);
            session.Apply(status.ServiceStatus, now);
            await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
        }
        catch (IvpnApiException ex) when (ex.Status is IvpnErrors.SessionNotFound or IvpnErrors.AccountNotActive)
        {
            throw;
        }
        catch (ProviderException ex) when (session.Active)
        {
            _context.Log.Warning("Could not check the IVPN session ({Error}); connecting anyway", ex.Message);
        }
        if (!session.Active || session.ActiveUntil <= now)
        {
            var until = session.ActiveUntil is { } u ? $" (it ran until {u.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})" : "";
            throw new ProviderException($"the IVPN account is not active{until}; add time at {IvpnErrors.AccountPage}, then connect again");
        }
    }

    /// <summary>A key older than a day is replaced on the session, as IVPN's daemon does; if that fails the old key still works.</summary>
    private async Task RotateKeyIfDueAsync(IvpnApi api, IvpnSession session, CancellationToken ct)
    {
        if (_time.GetUtcNow() - session.KeyCreated < KeyLifetime) return;
        _context.Steps.Step("replacing the WireGuard key, which is due");
        var keys = WireGuardKeys.Generate();
        _context.Log.RegisterSecret(keys.PrivateKeyBase64);
        try
        {
            var address = await api.SetKeyAsync(session.SessionToken, keys.PublicKeyBase64, session.PublicKey, ct).ConfigureAwait(false);
            session.PrivateKey = keys.PrivateKeyBase64;
            session.PublicKey = keys.PublicKeyBase64;
            session.KeyCreated = _time.GetUtcNow();
            session.TunnelAddress = address;
            await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
            _context.Log.Debug("Set a new WireGuard key on the IVPN session");
        }
        catch (IvpnApiException ex) when (ex.Status == IvpnErrors.SessionNotFound)
        {
            throw;
        }
        catch (ProviderException ex)
        {
            _context.Log.Warning("Could not set a new WireGuard key on the IVPN session ({Error}); using the current one", ex.Message);
        }
    }

    private IvpnApi Api() => _api ??= new IvpnApi(_context.Http.Create(),
        ApiUrl.Resolve("IVPN API", _context.Config, "api_url", IvpnApi.EnvironmentVariable, _environment(IvpnApi.EnvironmentVariable), IvpnApi.Default),
        ApiUrl.Resolve("IVPN web site", _context.Config, "web_url", IvpnApi.WebEnvironmentVariable, _environment(IvpnApi.WebEnvironmentVariable), IvpnApi.DefaultWeb),
        _context.Log);
}
