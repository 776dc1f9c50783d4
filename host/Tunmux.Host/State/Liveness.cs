using System.Globalization;

namespace Tunmux.Host.State;

/// <summary>
/// Whether a recorded connection is still really there, from what any user may read:
/// the namespace's bind mount, the interface in sysfs and the proxy process in /proc (for a rootless exit,
/// its processes in the user's own runtime folder and /proc).
/// </summary>
public static class Liveness
{
    public static string NetnsDir { get; set; } = "/run/netns";

    public static IReadOnlyList<string> Problems(ConnectionState s)
    {
        // A rootless exit has no named namespace: its own record says which processes hold it.
        if (s.Backend == Rootless.RootlessExits.Backend) return Rootless.RootlessExits.Problems(s.Instance);
        var problems = new List<string>();
        if (s.IsProxy)
        {
            if (s.Namespace is { } ns && !File.Exists(Path.Combine(NetnsDir, ns)))
                problems.Add("namespace gone");
            if (s.ProxyPid is { } pid && !ProcessAlive(pid))
                problems.Add("proxy not running");
        }
        else if (!Directory.Exists(Path.Combine("/sys/class/net", s.Interface)))
        {
            problems.Add("interface gone");
        }
        return problems;
    }

    private static bool ProcessAlive(int pid)
    {
        try
        {
            // A zombie still has /proc/<pid>; it is not serving anything.
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return true; }
    }
}
