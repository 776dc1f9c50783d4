using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Plugins;

namespace Tunmux.Host.Cli;

/// <summary>
/// The whole command line as data, for completion and the manual page: the host's verbs and each
/// installed provider's verbs, read from the same <c>[Verb]</c> classes that parse a command and render
/// its help, so neither keeps a list of its own. A provider is loaded only when asked for.
/// </summary>
internal sealed class CommandTree(PluginCatalog catalog, TunmuxPaths paths, IConsoleIO console)
{
    private readonly Dictionary<string, LoadedProvider?> _loaded = new(StringComparer.Ordinal);
    private TunmuxConfig? _config;

    /// <summary>The host's verbs a user sees, in help order.</summary>
    public IReadOnlyList<VerbModel> HostVerbs { get; } = Visible(Cli.HostVerbs.All);

    /// <summary>The flags before any verb (<c>-v</c>, <c>-V</c>).</summary>
    public VerbModel GlobalFlags { get; } = VerbModel.Of(typeof(GlobalFlags));

    /// <summary>Installed provider names, sorted.</summary>
    public IReadOnlyList<string> ProviderNames => catalog.Discover().Select(c => c.Name).ToList();

    public bool IsProvider(string word) => catalog.Find(word) is not null;

    /// <summary>The provider's verbs, or null when it is not installed or does not load.</summary>
    public LoadedProvider? Provider(string name)
    {
        if (_loaded.TryGetValue(name, out var known)) return known;
        LoadedProvider? result = null;
        if (catalog.Find(name) is { } candidate)
        {
            try
            {
                var provider = PluginHost.Load(candidate).Provider;
                provider.Initialize(new ProviderContext(name, Config(), paths, console, CancellationToken.None));
                result = new LoadedProvider(name, provider.DisplayName, ProviderVerbs.Of(provider));
            }
            catch (PluginLoadException) { }
        }
        _loaded[name] = result;
        return result;
    }

    /// <summary>The config file's values, or the defaults when it does not parse (completion must not fail on it).</summary>
    private TunmuxConfig Config()
    {
        if (_config is not null) return _config;
        try
        {
            _config = ConfigLoader.Load(paths.ConfigFile);
        }
        catch (ConfigException)
        {
            _config = new TunmuxConfig { SourceFile = paths.ConfigFile };
        }
        return _config;
    }

    /// <summary>The verbs of one level a user sees (hidden ones answer but are never offered).</summary>
    public static IReadOnlyList<VerbModel> Visible(IEnumerable<Type> level) =>
        level.Select(VerbModel.Of).Where(v => !v.Hidden).ToList();
}

/// <summary>A loaded provider's name, display name and verbs.</summary>
internal sealed record LoadedProvider(string Name, string DisplayName, ProviderVerbs Verbs)
{
    /// <summary>The heading of its command list, as <c>tunmux &lt;provider&gt; --help</c> shows it.</summary>
    public string Heading => $"{DisplayName} commands";
}
