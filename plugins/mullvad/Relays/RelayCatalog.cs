using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Mullvad.Api;

namespace Tunmux.Plugins.Mullvad.Relays;

/// <summary>
/// The relay list in the cache folder (<c>relays.json</c>). Mullvad's daemon asks for a new list
/// every hour and sends the ETag it has, so an unchanged list costs a 304; the same policy here.
/// </summary>
internal sealed class RelayCatalog(string cacheDirectory, IPluginLogger log, TimeProvider time)
{
    /// <summary>mullvad-daemon-relay-selector's UPDATE_INTERVAL.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly ListCache<RelayList> _cache = new(cacheDirectory, "relays.json", MaxAge, "Mullvad relay list", RelayListParser.Parse, log, time);

    public Task<CachedList<RelayList>> GetAsync(MullvadApi api, bool refresh, CancellationToken ct) =>
        _cache.GetAsync(api.GetRelaysAsync, api.BaseUri + "app/v1/relays", refresh, ct);
}
