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

    /// <summary>
    /// Per-user runtime folder (the daemon startup lock, rootless exits): <c>$TUNMUX_USER_RUNTIME_DIR</c>,
    /// else <c>$XDG_RUNTIME_DIR/tunmux</c>, else <c>/tmp/tunmux-$UID</c>.
    /// </summary>
    public static string UserRuntimeDir() =>
        Env("TUNMUX_USER_RUNTIME_DIR")
        ?? (Env("XDG_RUNTIME_DIR") is { } xdg ? Path.Combine(xdg, "tunmux") : $"/tmp/tunmux-{Native.GetUid()}");

    /// <summary><see cref="UserRuntimeDir"/>, created 0700 and checked to be this user's alone (in /tmp another user could plant it).</summary>
    public static string PrivateUserRuntimeDir()
    {
        var dir = UserRuntimeDir();
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(dir, mode);
        var info = new DirectoryInfo(dir);
        if (info.LinkTarget is not null || (info.UnixFileMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0
            || Privileged.FileOwner.Of(dir) != Native.GetUid())
            throw new Tunmux.Privileged.Protocol.PrivilegedException(Privileged.ClientErrorCodes.LaunchFailed,
                $"{dir} is not a private folder of this user; remove it and run the command again");
        return dir;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
