namespace Tunmux.Host;

/// <summary>The one place that knows where the user side of tunmux keeps its files.</summary>
public sealed class TunmuxPaths
{
    public TunmuxPaths(string configDir, IReadOnlyList<string> pluginDirs)
    {
        ConfigDir = configDir;
        PluginDirs = pluginDirs;
    }

    public static TunmuxPaths FromEnvironment()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var configDir = Env("TUNMUX_CONFIG_DIR")
            ?? Path.Combine(Env("XDG_CONFIG_HOME") ?? Path.Combine(home, ".config"), "tunmux");

        var pluginDirs = new List<string>();
        if (Env("TUNMUX_PLUGIN_PATH") is { } extra)
            pluginDirs.AddRange(extra.Split(':', StringSplitOptions.RemoveEmptyEntries));
        pluginDirs.Add(Path.Combine(AppContext.BaseDirectory, "plugins"));
        pluginDirs.Add(Path.Combine(Env("XDG_DATA_HOME") ?? Path.Combine(home, ".local", "share"), "tunmux", "plugins"));
        return new TunmuxPaths(configDir, pluginDirs);
    }

    public string ConfigDir { get; }

    /// <summary>Folders searched for <c>&lt;name&gt;/&lt;name&gt;.dll</c>, first match wins.</summary>
    public IReadOnlyList<string> PluginDirs { get; }

    public string ConfigFile => Path.Combine(ConfigDir, "config.toml");
    public string ConnectionsDir => Path.Combine(ConfigDir, "connections");
    public string ConnectionsLock => Path.Combine(ConnectionsDir, ".lock");
    public string ConnectionFile(string instance) => Path.Combine(ConnectionsDir, instance + ".json");
    public string ProviderDir(string provider) => Path.Combine(ConfigDir, provider);

    /// <summary>The addresses provider API names last resolved to, for connects under lockdown.</summary>
    public string ApiAddressesFile => Path.Combine(ConfigDir, "api-addresses.json");

    /// <summary>Per-user folder for the daemon startup lock: <c>$XDG_RUNTIME_DIR/tunmux</c> or <c>/tmp/tunmux-$UID</c>.</summary>
    public static string UserRuntimeDir() =>
        Env("XDG_RUNTIME_DIR") is { } xdg ? Path.Combine(xdg, "tunmux") : $"/tmp/tunmux-{Native.GetUid()}";

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
