using System.Net;
using System.Text.Json;
using Tunmux.Host.Storage;

namespace Tunmux.Host.Net;

/// <summary>
/// The addresses tunmux last resolved for each provider API name (<c>api-addresses.json</c> in the config folder).
/// Under lockdown no DNS leaves the machine, so a connect reaches its provider's API at the addresses on record,
/// as Mullvad keeps an address cache for its API.
/// </summary>
internal sealed class ApiAddressBook(string file)
{
    /// <summary>The addresses on record for <paramref name="host"/>, or null.</summary>
    public IReadOnlyList<IPAddress>? Recall(string host) =>
        Load().TryGetValue(host.ToLowerInvariant(), out var list) && list.Count > 0
            ? [.. list.Select(a => IPAddress.TryParse(a, out var ip) ? ip : null).OfType<IPAddress>()]
            : null;

    /// <summary>Records what <paramref name="host"/> resolved to; written only when it changed.</summary>
    public void Remember(string host, IReadOnlyList<IPAddress> addresses)
    {
        if (addresses.Count == 0) return;
        var book = Load();
        var key = host.ToLowerInvariant();
        var now = addresses.Select(a => a.ToString()).Distinct().ToList();
        if (book.TryGetValue(key, out var before) && before.SequenceEqual(now)) return;
        book[key] = now;
        try
        {
            AtomicFile.Write(file, JsonSerializer.SerializeToUtf8Bytes(book));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache only: the request itself goes on.
        }
    }

    private Dictionary<string, List<string>> Load()
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, List<string>>>(File.ReadAllBytes(file)) ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return [];
        }
    }
}
