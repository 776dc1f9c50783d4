using System.Globalization;
using Tunmux.Privileged.Proxy.Launch;

namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>The processes of a rootless exit: starting its long-lived ones detached, and finding and ending all of them.</summary>
internal static class NamespaceProcesses
{
    /// <summary>What the detached processes get: nothing of the caller's environment beyond the basics.</summary>
    private static readonly string[] DetachedEnvironment =
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"];

    /// <summary>
    /// Starts <paramref name="argv"/> in a session of its own (no terminal's Ctrl-C or hang-up reaches it),
    /// stdin from /dev/null, stdout and stderr appended to <paramref name="logPath"/>, and
    /// <paramref name="more"/> descriptors placed at the given numbers.
    /// </summary>
    public static int StartDetached(string file, IReadOnlyList<string> argv, string logPath, IReadOnlyDictionary<int, int>? more = null)
    {
        using var log = File.Open(logPath, new FileStreamOptions
        {
            Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        var fd = (int)log.SafeFileHandle.DangerousGetHandle();
        var fds = new Dictionary<int, int> { [1] = fd, [2] = fd };
        foreach (var (target, source) in more ?? new Dictionary<int, int>()) fds[target] = source;
        return NativeSpawn.Spawn(file, argv, DetachedEnvironment, fds);
    }

    /// <summary>The command name of a process (<c>/proc/pid/comm</c>), or null when it is gone.</summary>
    public static string? CommandName(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Every process this user may see whose network namespace is <paramref name="netnsId"/>.</summary>
    public static List<int> InNamespace(string netnsId)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId) continue;
            if (ProcessControl.NetworkNamespaceOf(pid) == netnsId && ProcessControl.IsRunning(pid)) found.Add(pid);
        }
        return found;
    }

    /// <summary>SIGTERM to every process in the namespace, SIGKILL to what is left after a grace period.</summary>
    public static async Task EndAllAsync(string netnsId, TimeSpan grace)
    {
        var pids = InNamespace(netnsId);
        if (pids.Count == 0) return;
        foreach (var pid in pids) Libc.Kill(pid, Libc.SIGTERM);
        var deadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
        while (Environment.TickCount64 < deadline && pids.Any(ProcessControl.IsRunning)) await Task.Delay(10);
        foreach (var pid in InNamespace(netnsId)) Libc.Kill(pid, Libc.SIGKILL);
        deadline = Environment.TickCount64 + 2000;
        while (Environment.TickCount64 < deadline && InNamespace(netnsId).Count > 0) await Task.Delay(10);
    }

    /// <summary>The last non-empty line of a log, for one-line errors.</summary>
    public static string? LastLine(string path)
    {
        try { return File.ReadLines(path).Where(l => l.Trim().Length > 0).LastOrDefault()?.Trim(); }
        catch (IOException) { return null; }
    }
}
