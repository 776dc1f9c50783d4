using System.Diagnostics;
using NUnit.Framework;
using Tunmux.TestSupport;

namespace Tunmux.Rootless.Tests;

/// <summary>
/// The unprivileged users rootless exits are tested as, created once per run with unique names and removed
/// after (in no group of tunmux's, no sudo), and /dev/net/tun made 0666 as stock distributions ship it (this
/// machine has 0600): its mode is put back after the run.
/// </summary>
[SetUpFixture]
public sealed class RootlessUsers
{
    private static readonly string Suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

    /// <summary>The user who owns the exits.</summary>
    public static TestUser Owner { get; private set; } = null!;

    /// <summary>Another user, for what must stay private to the owner.</summary>
    public static TestUser Other { get; private set; } = null!;

    public static string? Unavailable { get; private set; } = "users not set up";

    public const string TunDevice = "/dev/net/tun";
    private static UnixFileMode? _tunModeBefore;
    private static readonly List<TestUser> Created = [];

    public static void Require()
    {
        if (Unavailable is { } why) Assert.Ignore(why);
    }

    [OneTimeSetUp]
    public void Create()
    {
        if (!Requires.IsRoot) { Unavailable = "needs root: creates users and sets the mode of /dev/net/tun"; return; }
        foreach (var tool in new[] { "useradd", "userdel", "setpriv", "nsenter", "unshare" })
            if (Requires.Which(tool) is null) { Unavailable = $"needs '{tool}' (util-linux/passwd)"; return; }
        if (!File.Exists(TunDevice)) { Unavailable = $"needs {TunDevice}"; return; }
        try
        {
            Owner = Add("tmxr" + Suffix);
            Other = Add("tmxs" + Suffix);
            _tunModeBefore = File.GetUnixFileMode(TunDevice);
            File.SetUnixFileMode(TunDevice, _tunModeBefore.Value | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                                             | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
            Unavailable = null;
        }
        catch (InvalidOperationException e)
        {
            Unavailable = "could not create test users: " + e.Message;
        }
    }

    [OneTimeTearDown]
    public void Remove()
    {
        if (_tunModeBefore is { } mode) File.SetUnixFileMode(TunDevice, mode);
        foreach (var u in Created)
        {
            TryRun("pkill", "-KILL", "-u", u.Name);
            TryRun("userdel", "-f", u.Name);
            try { Directory.Delete(u.Home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Sets /dev/net/tun to <paramref name="mode"/> for the length of <paramref name="action"/>, then back.</summary>
    public static void WithTunMode(UnixFileMode mode, Action action)
    {
        var before = File.GetUnixFileMode(TunDevice);
        File.SetUnixFileMode(TunDevice, mode);
        try { action(); }
        finally { File.SetUnixFileMode(TunDevice, before); }
    }

    private static TestUser Add(string name)
    {
        Run("useradd", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name);
        var user = new TestUser(name, uint.Parse(Run("id", "-u", name).Trim()), uint.Parse(Run("id", "-g", name).Trim()));
        Created.Add(user);
        Directory.CreateDirectory(user.Home);
        Run("chown", $"{user.Uid}:{user.Gid}", user.Home);
        File.SetUnixFileMode(user.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return user;
    }

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {stderr.Trim()}");
        return stdout;
    }

    private static void TryRun(string file, params string[] args)
    {
        try { Run(file, args); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }
}

/// <summary>A local account the tests created, with a private folder of its own under /tmp.</summary>
public sealed record TestUser(string Name, uint Uid, uint Gid)
{
    public string Home => $"/tmp/{Name}";

    /// <summary>The user's processes with their command lines, for failure messages.</summary>
    public string Describe(IEnumerable<int> pids) => string.Join("; ", pids.Select(pid =>
    {
        try { return $"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()} ({File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2]})"; }
        catch (IOException) { return $"{pid} (gone)"; }
    }));

    /// <summary>
    /// Every live process of this user, by the real uid in /proc. Zombies do not count: they hold nothing,
    /// and reaping them is the job of init (which here does it a moment later).
    /// </summary>
    public IReadOnlyList<int> Processes()
    {
        var found = new List<int>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid)) continue;
            try
            {
                var status = File.ReadAllLines(Path.Combine(d, "status"));
                var uid = status.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                var zombie = status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("(zombie)", StringComparison.Ordinal));
                if (!zombie && uid is not null && uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == Uid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    found.Add(pid);
            }
            catch (IOException) { }
        }
        return found;
    }
}
