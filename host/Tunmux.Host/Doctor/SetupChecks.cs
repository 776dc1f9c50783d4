using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Output;
using Tunmux.Host.Plugins;

namespace Tunmux.Host.Doctor;

/// <summary>This user's own setup: the config file, the plugins, and each provider's stored session.</summary>
internal sealed class SetupChecks(TunmuxPaths paths, PluginCatalog catalog)
{
    /// <summary>The config check, and the config the other checks use (the defaults when it does not parse).</summary>
    public (CheckResult Result, TunmuxConfig Config) Config()
    {
        const string name = "config";
        var file = paths.ConfigFile;
        try
        {
            var config = ConfigLoader.Load(file);
            if (!File.Exists(file)) return (CheckResult.Ok(name, $"no {file}: defaults apply"), config);
            if (config.Warnings.Count > 0)
                return (CheckResult.Warn(name, $"{file}: {config.Warnings[0]}" + (config.Warnings.Count > 1 ? $" (and {config.Warnings.Count - 1} more)" : ""),
                    $"edit {file}"), config);
            return (CheckResult.Ok(name, $"{file} parses"), config);
        }
        catch (ConfigException e)
        {
            return (CheckResult.Fail(name, e.Message, $"edit {file} (see the Configuration section of the README)"), new TunmuxConfig { SourceFile = file });
        }
    }

    public (CheckResult Result, IReadOnlyList<LoadedPlugin> Loaded) Plugins()
    {
        const string name = "plugins";
        var candidates = catalog.Discover();
        if (candidates.Count == 0)
            return (CheckResult.Fail(name, "no plugins found in " + string.Join(", ", catalog.PluginDirs),
                "reinstall tunmux: its providers are in <install dir>/plugins/<name>/"), []);
        var loaded = new List<LoadedPlugin>();
        var broken = new List<(PluginCandidate Candidate, string Why)>();
        foreach (var candidate in candidates)
        {
            try
            {
                loaded.Add(PluginHost.Load(candidate));
            }
            catch (PluginLoadException e)
            {
                broken.Add((candidate, e.Message));
            }
        }
        if (broken.Count == 0)
            return (CheckResult.Ok(name, string.Join(", ", loaded.Select(p => $"{p.Candidate.Name} {p.Version}")) + " load"), loaded);
        return (CheckResult.Fail(name, string.Join("; ", broken.Select(b => b.Why)),
            "update or remove " + string.Join(", ", broken.Select(b => b.Candidate.Directory))), loaded);
    }

    /// <summary>
    /// Each provider with accounts: the account's details fetched with the stored session (which the
    /// provider refreshes as on any command). No stored session means not logged in, which is no fault.
    /// </summary>
    public async Task<CheckResult> SessionAsync(LoadedPlugin plugin, TunmuxConfig config, CancellationToken ct)
    {
        var provider = plugin.Provider;
        var name = "session:" + plugin.Candidate.Name;
        var login = $"tunmux {plugin.Candidate.Name} login <username>";
        // The provider talks to a console nobody sees: doctor prints one line per check, and nothing may prompt.
        var quiet = new ConsoleIO(TextWriter.Null, TextWriter.Null, new StringReader(""), interactive: false);
        var context = new ProviderContext(plugin.Candidate.Name, config, paths, quiet, ct);
        try
        {
            provider.Initialize(context);
            if (provider.Describe().UnsupportedStandardVerbs.Contains("login"))
                return CheckResult.Skip(name, "no accounts (nothing to log in to)");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            var info = await provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, timeout.Token);
            return CheckResult.Ok(name, $"logged in as {info.Username}" + (info.Plan is { Length: > 0 } plan ? $" ({plan})" : ""));
        }
        catch (ProviderException e)
        {
            if (await HasStoredSessionAsync(context, ct) == false)
                return CheckResult.Skip(name, "not logged in", login);
            return CheckResult.Fail(name, e.Message, login);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return CheckResult.Warn(name, $"could not check the session: {plugin.Candidate.Name}'s service did not answer ({e.Message})",
                "check the network, then run tunmux doctor again");
        }
    }

    /// <summary>Whether the provider keeps a session in the host's credential store (the item every built-in provider uses).</summary>
    private static async Task<bool?> HasStoredSessionAsync(ProviderContext context, CancellationToken ct)
    {
        try
        {
            return await context.Credentials.GetAsync("session.json", ct) is not null;
        }
        catch (Exception e) when (e is Credentials.CredentialStoreException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
