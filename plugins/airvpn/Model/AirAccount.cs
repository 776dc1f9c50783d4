using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Api;

namespace Tunmux.Plugins.AirVpn.Model;

/// <summary>The account as the verbs see it: the stored session, the manifest, keys and servers by name.</summary>
internal sealed class AirAccount
{
    private readonly Settings _settings;
    private readonly IProviderContext _context;
    private readonly TimeProvider _time;
    private AirManifest? _manifest;
    private bool _manifestRead;

    public AirAccount(Settings settings, IProviderContext context, TimeProvider time)
    {
        _settings = settings;
        _context = context;
        _time = time;
        Store = new AccountStore(context);
        // Every request uses the bootstrap URLs and key of the newest manifest, the one just fetched included.
        Api = new AirApiClient(settings, context, CachedManifest);
    }

    public Settings Settings => _settings;
    public AccountStore Store { get; }
    public AirApiClient Api { get; }
    public TimeProvider Time => _time;

    /// <summary>Without a <c>next_update</c>, Eddie refreshes the manifest once a day.</summary>
    public static readonly TimeSpan DefaultManifestLife = TimeSpan.FromDays(1);

    /// <summary>How long a manifest stays current: its <c>next_update</c> (minutes, Eddie's reading), at most a day.</summary>
    public static TimeSpan Life(AirManifest manifest) =>
        manifest.NextUpdateMinutes is { } minutes ? TimeSpan.FromMinutes(Math.Clamp(minutes, 1, DefaultManifestLife.TotalMinutes)) : DefaultManifestLife;

    public bool IsStale(AirManifest manifest) =>
        _time.GetUtcNow() >= DateTimeOffset.FromUnixTimeSeconds(manifest.FetchedAt) + Life(manifest);

    /// <summary>
    /// The manifest: the cached one while it is current, else a fresh one (cached) — on
    /// <paramref name="refresh"/> too. A stale cache is still used, with a warning, when the API cannot be reached.
    /// </summary>
    public async Task<AirManifest> ManifestAsync(AirSession session, bool refresh, CancellationToken ct)
    {
        var cached = CachedManifest();
        var usable = cached is { Servers.Count: > 0 };
        if (!refresh && usable && !IsStale(cached!)) return cached!;
        try
        {
            var manifest = await Api.ManifestAsync(session.Username, session.Password, _time.GetUtcNow(), ct);
            Store.SaveManifest(manifest);
            _manifest = manifest;
            return manifest;
        }
        catch (ProviderException e) when (usable && !refresh)
        {
            var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(cached!.FetchedAt);
            _context.Log.Warning("airvpn: using the server list from {Age} ago; it could not be refreshed: {Error}", Verbs.Format.Age(age), e.Message);
            return cached;
        }
    }

    /// <summary>The manifest in the cache (read once), or the one fetched since.</summary>
    private AirManifest? CachedManifest()
    {
        if (!_manifestRead)
        {
            _manifest = Store.LoadManifest();
            _manifestRead = true;
        }
        return _manifest;
    }

    /// <summary>Forgets the manifest (logout): later requests use the configured bootstrap list.</summary>
    public void DeleteManifest()
    {
        Store.DeleteManifest();
        _manifest = null;
        _manifestRead = true;
    }

    /// <summary>Asks act=user again (new devices, expiry) and stores the result.</summary>
    public async Task<AirSession> RefreshUserAsync(AirSession session, CancellationToken ct)
    {
        var user = await Api.UserAsync(session.Username, session.Password, ct);
        var updated = session with { WgPublicKey = user.WgPublicKey, ExpiresAt = user.ExpiresAt, Keys = user.Keys };
        await Store.SaveAsync(updated, ct);
        return updated;
    }

    /// <summary>
    /// The device key named <paramref name="name"/> (or default_device, or the first one). A name not in
    /// the stored session may be a device added since login, so act=user is asked once before giving up.
    /// </summary>
    public async Task<(AirSession Session, AirKey Key)> KeyAsync(AirSession session, string? name, CancellationToken ct)
    {
        name ??= _settings.DefaultDevice;
        if (name is null)
        {
            if (session.Keys.Count == 0) session = await RefreshUserAsync(session, ct);
            return session.Keys.Count > 0
                ? (session, session.Keys[0])
                : throw new ProviderException("airvpn: the account has no WireGuard key; add a device with 'tunmux airvpn devices add --name NAME'");
        }

        var key = Find(session, name);
        if (key is null)
        {
            session = await RefreshUserAsync(session, ct);
            key = Find(session, name);
        }
        return key is not null
            ? (session, key)
            : throw new ProviderException($"airvpn: no device (WireGuard key) named '{name}'; devices: {Names(session.Keys.Select(k => k.Name))}");

        static AirKey? Find(AirSession s, string n) => s.Keys.FirstOrDefault(k => string.Equals(k.Name, n, StringComparison.OrdinalIgnoreCase));
    }

    public static AirServer ServerNamed(AirManifest manifest, string name) =>
        manifest.Servers.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ProviderException($"airvpn: no server named '{name}'; servers: {Names(manifest.Servers.Select(s => s.Name))}");

    /// <summary>Servers of a country, best score first; refuses a country with no server, listing those that have some.</summary>
    public static IReadOnlyList<AirServer> ServersIn(AirManifest manifest, string country)
    {
        var list = manifest.Servers.Where(s => string.Equals(s.CountryCode, country.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
        return list.Count > 0
            ? list.OrderBy(s => s.Online ? 0 : 1).ThenBy(s => s.Score).ThenBy(s => s.Name, StringComparer.Ordinal).ToList()
            : throw new ProviderException($"airvpn: no server in country '{country}'; countries: {Names(Countries(manifest))}");
    }

    public static IEnumerable<string> Countries(AirManifest manifest) =>
        manifest.Servers.Select(s => s.CountryCode).Where(c => c.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal);

    public static string Names(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "(none)" : string.Join(", ", list);
    }
}
