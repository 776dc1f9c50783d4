using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Mullvad.Api;

namespace Tunmux.Plugins.Mullvad.Relays;

/// <summary>The relay list with where it came from and how old it is.</summary>
internal sealed record CatalogResult(RelayList List, TimeSpan Age, bool FromCache);

/// <summary>
/// The relay list kept in the cache folder (<c>relays.json</c>, with its ETag in <c>relays.etag</c>;
/// no secrets). Mullvad's daemon asks for a new list every hour and sends the ETag it has, so
/// an unchanged list costs a 304; the same policy here. A failed refresh falls back to the
/// cached copy with a warning; the cache is replaced only by a list that parses.
/// </summary>
internal sealed class RelayCatalog(string cacheDirectory, IPluginLogger log, TimeProvider time)
{
    /// <summary>mullvad-daemon-relay-selector's UPDATE_INTERVAL.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly CachedFile _list = new(cacheDirectory, "relays.json", time);
    private readonly CachedFile _etag = new(cacheDirectory, "relays.etag", time);

    public async Task<CatalogResult> GetAsync(MullvadApi api, bool refresh, CancellationToken ct)
    {
        var cached = _list.Exists;
        var age = cached ? _list.Age : TimeSpan.MaxValue;
        if (cached && !refresh && age < MaxAge)
            return new CatalogResult(RelayListParser.Parse(_list.Read(), _list.FilePath), age, FromCache: true);

        try
        {
            var etag = cached && _etag.Exists ? System.Text.Encoding.UTF8.GetString(_etag.Read()).Trim() : null;
            var answer = await api.GetRelaysAsync(string.IsNullOrEmpty(etag) ? null : etag, ct).ConfigureAwait(false);
            if (answer.NotModified)
            {
                _list.Touch();
                log.Debug("Mullvad relay list unchanged (ETag {ETag})", etag);
                return new CatalogResult(RelayListParser.Parse(_list.Read(), _list.FilePath), TimeSpan.Zero, FromCache: true);
            }
            var list = RelayListParser.Parse(answer.Body, api.BaseUri + "app/v1/relays");
            _list.Write(answer.Body);
            if (answer.ETag is { Length: > 0 } newTag) _etag.Write(System.Text.Encoding.UTF8.GetBytes(newTag));
            else _etag.Delete();
            if (list.Discarded > 0) log.Debug("Discarded {Count} malformed Mullvad relay entries", list.Discarded);
            return new CatalogResult(list, TimeSpan.Zero, FromCache: false);
        }
        catch (ProviderException ex) when (cached && !refresh)
        {
            log.Warning("Using the cached Mullvad relay list ({Age} old): {Error}", CachedFile.Describe(age), ex.Message);
            return new CatalogResult(RelayListParser.Parse(_list.Read(), _list.FilePath), age, FromCache: true);
        }
    }

    public void Delete()
    {
        _list.Delete();
        _etag.Delete();
    }
}
