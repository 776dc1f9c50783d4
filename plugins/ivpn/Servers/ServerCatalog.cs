using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Ivpn.Api;

namespace Tunmux.Plugins.Ivpn.Servers;

internal sealed record CatalogResult(ServerList List, TimeSpan Age, bool FromCache);

/// <summary>
/// <c>servers.json</c> kept in the cache folder (no secrets). IVPN's daemon downloads it again every
/// hour (daemon/service/servers_updater.go); the same policy here. A failed refresh falls back to the
/// cached copy with a warning; the cache is replaced only by a list that parses.
/// </summary>
internal sealed class ServerCatalog(string cacheDirectory, IPluginLogger log, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly CachedFile _file = new(cacheDirectory, "servers.json", time);

    public async Task<CatalogResult> GetAsync(IvpnApi api, bool refresh, CancellationToken ct)
    {
        var cached = _file.Exists;
        var age = cached ? _file.Age : TimeSpan.MaxValue;
        if (cached && !refresh && age < MaxAge)
            return new CatalogResult(ServerListParser.Parse(_file.Read(), _file.FilePath), age, FromCache: true);
        try
        {
            var body = await api.GetServersAsync(ct).ConfigureAwait(false);
            var list = ServerListParser.Parse(body, api.BaseUri + "v5/servers.json");
            _file.Write(body);
            if (list.Discarded > 0) log.Debug("Discarded {Count} malformed IVPN server entries", list.Discarded);
            return new CatalogResult(list, TimeSpan.Zero, FromCache: false);
        }
        catch (ProviderException ex) when (cached && !refresh)
        {
            log.Warning("Using the cached IVPN server list ({Age} old): {Error}", CachedFile.Describe(age), ex.Message);
            return new CatalogResult(ServerListParser.Parse(_file.Read(), _file.FilePath), age, FromCache: true);
        }
    }
}
