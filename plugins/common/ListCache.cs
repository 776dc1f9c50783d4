using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>A list as fetched: new content (with its ETag, if any), or word that the cached copy is current (HTTP 304).</summary>
internal sealed record FetchedList(bool NotModified, byte[] Body, string? ETag);

/// <summary>A parsed list, with its age and whether it came from the cache.</summary>
internal sealed record CachedList<T>(T List, TimeSpan Age, bool FromCache);

/// <summary>
/// A provider's server list kept in the plugin's cache folder (no secrets): used while younger than
/// the provider's own refresh interval, fetched again after it or on <c>--refresh</c> (sending the
/// cached copy's ETag, when the provider gave one), replaced only by a list that parses, and used
/// with a warning when a refresh fails.
/// </summary>
internal sealed class ListCache<T>(string directory, string fileName, TimeSpan maxAge, string what, Func<byte[], string, T> parse,
    IPluginLogger log, TimeProvider time)
{
    private readonly CachedFile _list = new(directory, fileName, time);
    private readonly CachedFile _etag = new(directory, fileName + ".etag", time);

    public async Task<CachedList<T>> GetAsync(Func<string?, CancellationToken, Task<FetchedList>> fetch, string source, bool refresh, CancellationToken ct)
    {
        var cached = _list.Exists;
        var age = cached ? _list.Age : TimeSpan.MaxValue;
        if (cached && !refresh && age < maxAge) return FromCache(age);

        try
        {
            var etag = cached && _etag.Exists ? System.Text.Encoding.UTF8.GetString(_etag.Read()).Trim() : null;
            var fetched = await fetch(string.IsNullOrEmpty(etag) ? null : etag, ct).ConfigureAwait(false);
            if (fetched.NotModified && cached)
            {
                _list.Touch();
                log.Debug("The {What} has not changed since it was cached", what);
                return FromCache(TimeSpan.Zero);
            }
            var list = parse(fetched.Body, source);
            _list.Write(fetched.Body);
            if (fetched.ETag is { Length: > 0 } newTag) _etag.Write(System.Text.Encoding.UTF8.GetBytes(newTag));
            else _etag.Delete();
            return new CachedList<T>(list, TimeSpan.Zero, FromCache: false);
        }
        catch (ProviderException ex) when (cached && !refresh)
        {
            log.Warning("Using the cached {What} ({Age} old): {Error}", what, CachedFile.Describe(age), ex.Message);
            return FromCache(age);
        }
    }

    private CachedList<T> FromCache(TimeSpan age) => new(parse(_list.Read(), _list.FilePath), age, FromCache: true);
}
