using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Mullvad.Account;
using Tunmux.Plugins.Mullvad.Api;
using Tunmux.Plugins.Mullvad.Connect;
using Tunmux.Plugins.Mullvad.Relays;

namespace Tunmux.Plugins.Mullvad;

/// <summary>The account as <c>info</c> shows it.</summary>
internal sealed record MullvadInfo(string MaskedAccount, DateTimeOffset Expiry, string DeviceName, DateTimeOffset? DeviceCreated, int DeviceCount,
    int? MaxDevices, IReadOnlyList<string> Addresses, string PublicKey, string Api, string Credentials)
{
    public bool Expired(DateTimeOffset now) => Expiry <= now;
}

/// <summary>A connect: the chosen relay's profile and up to three alternatives for the same request.</summary>
internal sealed record MullvadPlan(ConnectPlan Chosen, IReadOnlyList<ConnectPlan> Alternatives, Relay Relay, int Port);

/// <summary>
/// Everything Mullvad's verbs do, apart from how they are declared on the command line: login with
/// device registration and the device limit, account creation, logout (removes this device), the
/// account's details, the relay list and the profile of a relay.
/// </summary>
internal sealed class MullvadService
{
    public const string AccountVariable = "TUNMUX_MULLVAD_ACCOUNT";

    /// <summary>How long a device check at connect stays good (a removed device would only show as a failed handshake).</summary>
    public static readonly TimeSpan DeviceCheckInterval = TimeSpan.FromHours(1);

    /// <summary>Mullvad's daemon replaces the device's key every 30 days unless told otherwise (mullvad-types wireguard.rs DEFAULT_ROTATION_INTERVAL).</summary>
    public static readonly TimeSpan KeyRotationInterval = TimeSpan.FromDays(30);

    private readonly IProviderContext _context;
    private readonly SessionStore _sessions;
    private readonly RelayCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private MullvadApi? _api;

    public MullvadService(IProviderContext context, TimeProvider time, Func<string, string?> environment, Random random)
    {
        _context = context;
        _time = time;
        _environment = environment;
        Random = random;
        _sessions = new SessionStore(context.Credentials, context.Log);
        _catalog = new RelayCatalog(context.CacheDirectory, context.Log, time);
    }

    public Random Random { get; }

    public SessionStore Sessions => _sessions;

    /// <summary>Reads the account number from the argument, standard input, the environment or a prompt.</summary>
    public string ReadAccountNumber(string? argument, bool fromStdin, string? piped = null) =>
        new AccountNumberInput("Mullvad", "account number", AccountVariable, "tunmux mullvad login") { Normalize = AccountNumber.Normalize }
            .Read(argument, fromStdin, piped, _context.Console, _context.Log, _environment);

    public async Task<LoginOutcome> LoginAsync(string accountNumber, bool force, string? replace, CancellationToken ct)
    {
        var outcome = await new DeviceLogin(Api(), _sessions, _context.Log, _time).RunAsync(accountNumber, force, replace, ct).ConfigureAwait(false);
        var s = outcome.Session;
        var output = _context.Console.Out;
        var account = AccountNumber.Masked(s.AccountNumber);
        if (outcome.AlreadyLoggedIn)
            output.WriteLine($"Already logged in to Mullvad account {account} as device \"{s.DeviceName}\"");
        else
        {
            if (outcome.Replaced is { } r) output.WriteLine($"Removed device \"{r.Name}\" (created {Day(r.Created)}) to make room");
            var devices = outcome.DeviceCount > 0 && s.MaxDevices is { } max ? $", {outcome.DeviceCount} of {max} devices" : "";
            output.WriteLine($"Logged in to Mullvad account {account} as device \"{s.DeviceName}\"{devices}");
        }
        WarnIfExpired(s);
        return outcome;
    }

    /// <summary>Creates an account (Mullvad allows it without payment; it has no time until some is added) and logs this device in to it.</summary>
    public async Task<LoginOutcome> CreateAccountAsync(CancellationToken ct)
    {
        var api = Api();
        var created = await api.CreateAccountAsync(ct).ConfigureAwait(false);
        var number = AccountNumber.Normalize(created.Number);
        _context.Log.RegisterSecret(number);
        _context.Console.Error.WriteLine("The account number is the only key to the account: keep it somewhere safe, tunmux keeps it in its credential store.");
        try
        {
            var outcome = await new DeviceLogin(api, _sessions, _context.Log, _time).RunAsync(number, force: false, replace: null, ct).ConfigureAwait(false);
            WarnIfExpired(outcome.Session);
            return outcome;
        }
        catch (ProviderException ex)
        {
            throw new ProviderException($"the Mullvad account {Grouped(number)} was created, but this device could not be registered ({ex.Message}); " +
                "log in with `tunmux mullvad login --account-stdin` later", ex);
        }
    }

    public async Task<bool> LogoutAsync(CancellationToken ct)
    {
        var (session, removed) = await _sessions.LoadForLogoutAsync(_context.Console.Out,
            "Removed a damaged Mullvad session; the device may still be on the account (see " + MullvadErrors.DevicesPage + ")", ct).ConfigureAwait(false);
        if (session is null) return removed;

        var api = Api(session);
        try
        {
            await api.RemoveDeviceAsync(session.DeviceId, ct).ConfigureAwait(false);
        }
        catch (MullvadApiException ex) when (ex.Code == MullvadErrors.DeviceNotFound)
        {
            _context.Log.Debug("The Mullvad device {Device} was already gone", session.DeviceName);
        }
        catch (ProviderException ex)
        {
            _context.Log.Warning("Could not remove the device {Device} from the Mullvad account ({Error}); removing local credentials anyway; remove it at {Page}",
                session.DeviceName, ex.Message, MullvadErrors.DevicesPage);
        }
        await _sessions.DeleteAsync(ct).ConfigureAwait(false);
        _context.Console.Out.WriteLine($"Logged out of Mullvad account {AccountNumber.Masked(session.AccountNumber)}; device \"{session.DeviceName}\" removed");
        return true;
    }

    public async Task<MullvadInfo> InfoAsync(CancellationToken ct)
    {
        var session = await _sessions.RequireAsync(ct).ConfigureAwait(false);
        var api = Api(session);
        var account = await api.GetAccountAsync(ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        session.ApplyAccount(account, now);
        var device = await api.GetDeviceAsync(session.DeviceId, ct).ConfigureAwait(false);
        session.DeviceName = device.Name;
        session.DeviceCheckedAt = now;
        var devices = await api.ListDevicesAsync(ct).ConfigureAwait(false);
        await _sessions.SaveAsync(session, ct).ConfigureAwait(false);

        var addresses = new List<string> { session.Ipv4Address };
        if (session.Ipv6Address is { } v6) addresses.Add(v6);
        return new MullvadInfo(AccountNumber.Masked(session.AccountNumber), account.Expiry, device.Name, device.Created, devices.Count,
            account.MaxDevices, addresses, session.PublicKey, api.BaseUri.ToString(), _context.Credentials.Description);
    }

    public async Task<(List<Relay> Rows, CachedList<RelayList> List)> ServersAsync(RelayFilter filter, ServerSort sort, bool refresh, CancellationToken ct)
    {
        var result = await _catalog.GetAsync(Api(), refresh, ct).ConfigureAwait(false);
        if (result.FromCache && result.Age > TimeSpan.Zero)
            _context.Log.Information("Mullvad relay list from cache ({Age} old; --refresh to fetch it again)", CachedFile.Describe(result.Age));
        return (RelaySelector.List(result.List, filter, sort), result);
    }

    public async Task<MullvadPlan> PrepareConnectAsync(string? hostname, RelayFilter filter, int? port, ServerSort? sort, CancellationToken ct)
    {
        var session = await _sessions.RequireAsync(ct).ConfigureAwait(false);
        var api = Api(session);
        await EnsureUsableAsync(api, session, ct).ConfigureAwait(false);
        await RotateKeyIfDueAsync(api, session, ct).ConfigureAwait(false);

        _context.Steps.Step("fetching Mullvad's relay list");
        var result = await _catalog.GetAsync(api, refresh: false, ct).ConfigureAwait(false);
        var chosenPort = ProfileBuilder.ChoosePort(result.List, port);
        var candidates = RelaySelector.Candidates(result.List, hostname, filter, sort, Random);
        if (sort == ServerSort.Latency)
        {
            _context.Steps.Step($"measuring the round trip to {candidates.Ranked.Count} relays");
            var ordered = await LatencyRanking.OrderAsync(_context.Latency, candidates.Ranked, r => r.Hostname, r => (r.Ipv4AddrIn, chosenPort), ct).ConfigureAwait(false);
            candidates = candidates with { Ranked = ordered };
        }
        var (chosen, alternatives) = candidates.Split();
        return new MullvadPlan(
            ProfileBuilder.Build(session, chosen, result.List, chosenPort),
            [.. alternatives.Select(r => ProfileBuilder.Build(session, r, result.List, chosenPort))],
            chosen,
            chosenPort);
    }

    /// <summary>
    /// Before a connect: an account without time left is refused with the date (checked again at
    /// the API, in case time was added), and a device removed elsewhere is caught here rather than
    /// as a handshake that never completes. A failed check of the device is only a warning.
    /// </summary>
    private async Task EnsureUsableAsync(MullvadApi api, MullvadSession session, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var changed = false;
        if (session.Expiry is { } expiry && expiry <= now)
        {
            _context.Steps.Step("checking the Mullvad account's time");
            session.ApplyAccount(await api.GetAccountAsync(ct).ConfigureAwait(false), now);
            changed = true;
            if (session.Expiry <= now)
            {
                await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
                throw new ProviderException($"the Mullvad account has no time left (it expired {Day(session.Expiry!.Value)}); add time at {MullvadErrors.AccountPage}, then connect again");
            }
        }
        if (session.DeviceCheckedAt is not { } checkedAt || now - checkedAt >= DeviceCheckInterval)
        {
            _context.Steps.Step("checking this device on the Mullvad account");
            try
            {
                await api.GetDeviceAsync(session.DeviceId, ct).ConfigureAwait(false);
                session.DeviceCheckedAt = now;
                changed = true;
            }
            catch (MullvadApiException ex) when (ex.Code == MullvadErrors.DeviceNotFound)
            {
                throw;
            }
            catch (ProviderException ex)
            {
                _context.Log.Warning("Could not check the Mullvad device ({Error}); connecting anyway", ex.Message);
            }
        }
        if (changed) await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
    }

    /// <summary>A key older than the rotation interval is replaced on the device first; if that fails the old key still works.</summary>
    private async Task RotateKeyIfDueAsync(MullvadApi api, MullvadSession session, CancellationToken ct)
    {
        var since = session.KeyCreated ?? session.DeviceCreated;
        if (since is null || _time.GetUtcNow() - since < KeyRotationInterval) return;
        _context.Steps.Step("replacing the device's WireGuard key (due every 30 days)");
        var keys = WireGuardKeys.Generate();
        _context.Log.RegisterSecret(keys.PrivateKeyBase64);
        try
        {
            var device = await api.ReplaceKeyAsync(session.DeviceId, keys.PublicKeyBase64, ct).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(device.Ipv4Address)) throw new ProviderException("the Mullvad API sent no tunnel address with the new key");
            session.PrivateKey = keys.PrivateKeyBase64;
            session.PublicKey = keys.PublicKeyBase64;
            session.KeyCreated = _time.GetUtcNow();
            session.Ipv4Address = device.Ipv4Address;
            session.Ipv6Address = string.IsNullOrWhiteSpace(device.Ipv6Address) ? null : device.Ipv6Address;
            await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
            _context.Log.Debug("Replaced the WireGuard key of the Mullvad device {Device}", session.DeviceName);
        }
        catch (MullvadApiException ex) when (ex.Code == MullvadErrors.DeviceNotFound)
        {
            throw;
        }
        catch (ProviderException ex)
        {
            _context.Log.Warning("Could not replace the WireGuard key of the Mullvad device ({Error}); using the current one", ex.Message);
        }
    }

    private void WarnIfExpired(MullvadSession session)
    {
        if (session.Expiry is { } expiry && expiry <= _time.GetUtcNow())
            _context.Console.Error.WriteLine($"warning: the Mullvad account has no time left (expired {Day(expiry)}); add time at {MullvadErrors.AccountPage} before connecting");
    }

    public static string Day(DateTimeOffset when) => when.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The number in groups of four, as Mullvad writes it.</summary>
    public static string Grouped(string number) =>
        string.Join(' ', Enumerable.Range(0, (number.Length + 3) / 4).Select(i => number.Substring(i * 4, Math.Min(4, number.Length - i * 4))));

    /// <summary>The API client, carrying the session's account and token and keeping every new token in the session.</summary>
    private MullvadApi Api(MullvadSession? session = null)
    {
        _api ??= new MullvadApi(_context.Http.Create(),
            ApiUrl.Resolve("Mullvad API", _context.Config, "api_url", MullvadApi.EnvironmentVariable, _environment(MullvadApi.EnvironmentVariable), MullvadApi.Default),
            _context.Log, _time);
        _api.AccountNumber = session?.AccountNumber;
        _api.Token = session?.Token;
        _api.TokenChanged = session is null ? null : async (token, ct) =>
        {
            session.Token = token;
            await _sessions.SaveAsync(session, ct).ConfigureAwait(false);
        };
        return _api;
    }
}
