using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;

namespace Tunmux.Plugins.Proton.Servers;

/// <summary>The server list as Proton sent it, with where it came from and how old it is.</summary>
public sealed record ServerList(byte[] Json, TimeSpan Age, bool FromCache)
{
    /// <summary>Every logical.</summary>
    public List<LogicalServer> All() => LogicalsParser.Parse(Json);

    /// <summary>The logicals of one exit country (all when null).</summary>
    public List<LogicalServer> InCountry(string? country) => LogicalsParser.Parse(Json, country);
}

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
        try
        {
            body = await api.GetBytesAsync(LogicalsPath, ct).ConfigureAwait(false);
            // Validates the whole answer (the scan reads every token) before it may replace the cache.
            LogicalsParser.Parse(body, exitCountry: "--");
        }
        catch (ProviderException ex) when (cached && !refresh)
        {
            log.Warning("Using the cached Proton server list ({Age} old): {Error}", Describe(age), ex.Message);
            return new ServerList(ReadCache(), age, FromCache: true);
        }

        Save(body);
        log.Debug("Fetched the Proton server list ({Bytes} bytes)", body.Length);
        return new ServerList(body, TimeSpan.Zero, FromCache: false);
    }

    public void Delete()
    {
        if (File.Exists(ManifestPath)) File.Delete(ManifestPath);
    }

    private TimeSpan Age()
    {
        var age = time.GetUtcNow() - File.GetLastWriteTimeUtc(ManifestPath);
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }

    private byte[] ReadCache() => File.ReadAllBytes(ManifestPath);

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
