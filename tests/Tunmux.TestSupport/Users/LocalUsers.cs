using System.Diagnostics;
using System.Globalization;

namespace Tunmux.TestSupport.Users;

/// <summary>A local account a test created (in no group of tunmux's, no sudo), with a private folder of its own under /tmp.</summary>
public sealed record TestUser(string Name, uint Uid, uint Gid)
{
    public string Home => $"/tmp/{Name}";

    /// <summary>
    /// Every live process of this user, by the real uid in /proc. Zombies do not count: they hold nothing,
    /// and reaping them is the job of init (which here does it a moment later).
    /// </summary>
    public IReadOnlyList<int> Processes()
    {
        var uid = Uid.ToString(CultureInfo.InvariantCulture);
        var found = new List<int>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid)) continue;
            try
            {
                var status = File.ReadAllLines(Path.Combine(d, "status"));
                var real = status.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                var zombie = status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("(zombie)", StringComparison.Ordinal));
                if (!zombie && real is not null && real.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid) found.Add(pid);
            }
            catch (IOException) { }
        }
        return found;
    }

    /// <summary>Processes with their command lines, for failure messages.</summary>
    public static string Describe(IEnumerable<int> pids) => string.Join("; ", pids.Select(pid =>
    {
        try { return $"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()}"; }
        catch (IOException) { return $"{pid} (gone)"; }
    }));

    /// <summary>Ends every process of the user (SIGKILL), for cleanup after a failed test.</summary>
    public void KillAll()
    {
        foreach (var pid in Processes())
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
    }

    /// <summary>The arguments that run a program as this user with a plain environment (<c>setpriv ... env -i ...</c>).</summary>
    public IReadOnlyList<string> AsUser(IReadOnlyDictionary<string, string>? environment = null) =>
    [
        "setpriv", $"--reuid={Uid}", $"--regid={Gid}", "--init-groups", "--inh-caps=-all",
        "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + Home, "LANG=C.UTF-8", "USER=" + Name,
        "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_NOLOGO=1",
        .. (environment ?? new Dictionary<string, string>()).Select(kv => kv.Key + "=" + kv.Value),
    ];
}

/// <summary>
/// Creates and removes local accounts for tests of what an unprivileged user may do, and makes /dev/net/tun
/// usable by everyone (0666, as stock Debian, Ubuntu and Fedora ship it; this machine has 0600) for as long
/// as a fixture needs it, then puts its mode back.
/// </summary>
public static class LocalUsers
{
    public const string TunDevice = "/dev/net/tun";
    private static readonly List<TestUser> Created = [];

    /// <summary>Six hex digits for the names of users and groups a run creates: a later run never meets an earlier run's leftovers.</summary>
    public static string NewSuffix() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

    /// <summary>Why accounts cannot be made here, or null.</summary>
    public static string? Unavailable()
    {
        if (!Requires.IsRoot) return "needs root: creates users and sets the mode of /dev/net/tun";
        foreach (var tool in new[] { "useradd", "userdel", "setpriv", "nsenter", "unshare" })
            if (Requires.Which(tool) is null && !File.Exists("/usr/sbin/" + tool)) return $"needs '{tool}' (util-linux/passwd)";
        return File.Exists(TunDevice) ? null : $"needs {TunDevice}";
    }

    /// <summary>A new user <paramref name="name"/> (at most 32 characters), optionally with supplementary groups.</summary>
    public static TestUser Add(string name, params string[] groups)
    {
        UserAdmin.AddUser(name, groups.Length > 0 ? ["-G", string.Join(',', groups)] : []);
        var user = new TestUser(name, UserAdmin.Uid(name), UserAdmin.Gid(name));
        lock (Created) Created.Add(user);
        Directory.CreateDirectory(user.Home);
        Run("chown", $"{user.Uid}:{user.Gid}", user.Home);
        File.SetUnixFileMode(user.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return user;
    }

    /// <summary>Ends every process of the user, removes it and its folder.</summary>
    public static void Remove(TestUser user)
    {
        UserAdmin.RemoveUser(user.Name);
        try { Directory.Delete(user.Home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        lock (Created) Created.Remove(user);
    }

    /// <summary>Sets /dev/net/tun to <paramref name="mode"/>; dispose puts the mode it had back.</summary>
    public static IDisposable TunMode(UnixFileMode mode)
    {
        var before = File.GetUnixFileMode(TunDevice);
        File.SetUnixFileMode(TunDevice, mode);
        return new Restore(() => File.SetUnixFileMode(TunDevice, before));
    }

    /// <summary>Read-write for everyone, as stock distributions have it.</summary>
    public const UnixFileMode StockTunMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
                                            | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>Runs a command as <see cref="UserAdmin.Run"/> does (ownership and modes of the users' files).</summary>
    public static string Run(string file, params string[] args) => UserAdmin.Run(file, args);

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
