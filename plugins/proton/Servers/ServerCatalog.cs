using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;

namespace Tunmux.Plugins.Proton.Servers;

/// <summary>The server list with where it came from and how old it is.</summary>
public sealed record ServerList(List<LogicalServer> Servers, TimeSpan Age, bool FromCache);

/// <summary>
/// <c>/vpn/v1/logicals</c>, kept as Proton sent it in <c>manifest.json</c> of the cache folder (no
/// secrets); its age is the file's modification time. A fresh copy is fetched when the cache is
/// older than <see cref="MaxAge"/> or on <c>--refresh</c>; the file is replaced only after a
/// successful, parseable answer.
/// </summary>
public sealed class ServerCatalog(string cacheDirectory, IPluginLogger log, TimeProvider time)
{
    public const string FileName = "manifest.json";
    public const string LogicalsPath = "/vpn/v1/logicals?SecureCoreFilter=all";

    /// <summary>Load and score change often; Proton's apps refresh the list every few hours.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(3);

    public string ManifestPath => Path.Combine(cacheDirectory, FileName);

    /// <summary>The list, from the cache when fresh enough, else from the API.</summary>
    public async Task<ServerList> GetAsync(ProtonApiClient api, bool refresh, CancellationToken ct)
    {
        var cached = File.Exists(ManifestPath);
        var age = cached ? Age() : TimeSpan.MaxValue;
        if (cached && !refresh && age < MaxAge)
            return new ServerList(ReadCache(), age, FromCache: true);

        byte[] body;
        List<LogicalServer> servers;
        try
        {
            body = await api.GetBytesAsync(LogicalsPath, ct).ConfigureAwait(false);
            servers = LogicalsParser.Parse(body);
        }
        catch (ProviderException ex) when (cached && !refresh)
        {
            log.Warning("Using the cached Proton server list ({Age} old): {Error}", Describe(age), ex.Message);
            return new ServerList(ReadCache(), age, FromCache: true);
        }

        Save(body);
        log.Debug("Fetched {Count} Proton servers", servers.Count);
        return new ServerList(servers, TimeSpan.Zero, FromCache: false);
    }

    /// <summary>The cached list only (no network), or null when there is none.</summary>
    public ServerList? TryReadCache() => File.Exists(ManifestPath) ? new ServerList(ReadCache(), Age(), true) : null;

    public void Delete()
    {
        if (File.Exists(ManifestPath)) File.Delete(ManifestPath);
    }

    private TimeSpan Age()
    {
        var age = time.GetUtcNow() - File.GetLastWriteTimeUtc(ManifestPath);
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }

    private List<LogicalServer> ReadCache() => LogicalsParser.Parse(File.ReadAllBytes(ManifestPath));

    private void Save(byte[] body)
    {
        Directory.CreateDirectory(cacheDirectory);
        var temp = Path.Combine(cacheDirectory, $".{FileName}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, body);
        File.Move(temp, ManifestPath, overwrite: true);
    }

    public static string Describe(TimeSpan age) =>
        age.TotalMinutes < 1 ? "under a minute" : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min" : age.TotalDays < 1 ? $"{age.TotalHours:0.#} h" : $"{age.TotalDays:0.#} days";
}
