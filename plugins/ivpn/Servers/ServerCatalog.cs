using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Ivpn.Api;

namespace Tunmux.Plugins.Ivpn.Servers;

/// <summary>
/// <c>servers.json</c> in the cache folder. IVPN's daemon downloads it again every hour
/// (daemon/service/servers_updater.go); the same policy here.
/// </summary>
internal sealed class ServerCatalog(string cacheDirectory, IPluginLogger log, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly ListCache<ServerList> _cache = new(cacheDirectory, "servers.json", MaxAge, "IVPN server list", ServerListParser.Parse, log, time);

    public Task<CachedList<ServerList>> GetAsync(IvpnApi api, bool refresh, CancellationToken ct) =>
        _cache.GetAsync(async (_, c) => new FetchedList(false, await api.GetServersAsync(c).ConfigureAwait(false), null), api.BaseUri + "v5/servers.json", refresh, ct);
}
