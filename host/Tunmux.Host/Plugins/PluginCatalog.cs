namespace Tunmux.Host.Plugins;

/// <summary>A plugin folder found on disk: <c>&lt;dir&gt;/&lt;name&gt;/&lt;name&gt;.dll</c>.</summary>
public sealed record PluginCandidate(string Name, string AssemblyPath)
{
    public string Directory => Path.GetDirectoryName(AssemblyPath)!;
}

/// <summary>
/// Finds plugins without loading them: only directory listings, so <c>tunmux --help</c> and
/// <c>tunmux status</c> stay cheap. The first folder in <see cref="TunmuxPaths.PluginDirs"/> that
/// has a plugin of a given name wins.
/// </summary>
public sealed class PluginCatalog(IReadOnlyList<string> pluginDirs)
{
    public IReadOnlyList<string> PluginDirs { get; } = pluginDirs;

    /// <summary>The plugin named <paramref name="name"/>, or null; checks only that name's folders.</summary>
    public PluginCandidate? Find(string name)
    {
        if (!IsPluginName(name)) return null;
        foreach (var dir in PluginDirs)
        {
            var folder = Path.Combine(dir, name);
            if (System.IO.Directory.Exists(folder)) return new PluginCandidate(name, Path.Combine(folder, name + ".dll"));
        }
        return null;
    }

    /// <summary>Every plugin folder, first occurrence of each name, sorted by name.</summary>
    public IReadOnlyList<PluginCandidate> Discover()
    {
        var found = new Dictionary<string, PluginCandidate>(StringComparer.Ordinal);
        foreach (var dir in PluginDirs)
        {
            if (!System.IO.Directory.Exists(dir)) continue;
            foreach (var folder in System.IO.Directory.EnumerateDirectories(dir))
            {
                var name = Path.GetFileName(folder);
                if (IsPluginName(name) && !found.ContainsKey(name))
                    found[name] = new PluginCandidate(name, Path.Combine(folder, name + ".dll"));
            }
        }
        return found.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Plugin names are command words: lowercase letters, digits and dashes, and never one of the host's own command
    /// words (<see cref="Cli.HostVerbs.Words"/>), which would shadow it. So a word that names a plugin is a provider
    /// without the host's verb classes being read.
    /// </summary>
    public static bool IsPluginName(string name) =>
        name.Length is > 0 and <= 32 && name[0] is >= 'a' and <= 'z' && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && !Cli.HostVerbs.Words.Contains(name);
}
