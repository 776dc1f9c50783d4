using System.Globalization;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Proxy.Launch;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// Starts a userspace WireGuard implementation as the daemon's own child, in the foreground, and keeps
/// the PID it was given: no process is ever looked up by a command line another user could imitate.
/// wireguard-go runs with <c>-f</c>; boringtun with <c>--foreground --disable-drop-privileges</c> (else it
/// switches to the user getlogin() names) and its logs under the state folder, never in /tmp.
/// Output goes to <c>userspace/&lt;interface&gt;.log</c> (0600 in a 0700 folder).
/// </summary>
internal static class UserspaceProcess
{
    public static (IReadOnlyList<string> Args, IReadOnlyList<string> Env) Command(string implementation, string iface, string logPath)
    {
        var env = new List<string> { "PATH=" + SystemPaths.SearchPath, "HOME=/", "LANG=C.UTF-8" };
        if (implementation == "boringtun")
        {
            env.AddRange(["WG_SUDO=1", "WG_LOG_FILE=" + logPath, "WG_ERR_LOG_FILE=" + logPath]);
            return (["--foreground", "--disable-drop-privileges", "--log", logPath, "--err", logPath, iface], env);
        }
        env.Add("WG_PROCESS_FOREGROUND=1");
        return (["-f", iface], env);
    }

    /// <summary>The environment wg-quick passes on to the implementation it starts itself (direct mode, userspace backend).</summary>
    public static Dictionary<string, string> WgQuickEnvironment(string implementation, string logPath) =>
        implementation == "boringtun"
            ? new() { ["WG_SUDO"] = "1", ["WG_LOG_FILE"] = logPath, ["WG_ERR_LOG_FILE"] = logPath }
            : new();

    public static string LogPath(PrivilegedPaths paths, string iface) => Path.Combine(paths.StateDir, "userspace", iface + ".log");

    /// <summary>Spawns it and waits until its control socket exists; returns the child's PID.</summary>
    public static async Task<int> StartAsync(string command, string implementation, string iface, PrivilegedPaths paths,
        string uapiDir, TimeSpan timeout, CancellationToken ct)
    {
        var log = LogPath(paths, iface);
        SecureFiles.PrivateDirectory(Path.GetDirectoryName(log)!);
        var (args, env) = Command(implementation, iface, log);
        int pid;
        using (var stream = File.Open(log, new FileStreamOptions
               {
                   Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            var fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            pid = NativeSpawn.Spawn(command, [command, .. args], env, new Dictionary<int, int> { [1] = fd, [2] = fd });
        }
        ProxyLauncher.StartReaper(pid);

        var socket = Path.Combine(uapiDir, iface + ".sock");
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(socket))
        {
            if (!ProcessControl.IsRunning(pid))
                throw new CommandFailedException($"{implementation} {iface} exited right after starting: {LastLine(log)}");
            if (DateTime.UtcNow > deadline)
            {
                Libc.Kill(pid, Libc.SIGKILL);
                throw new CommandFailedException($"{implementation} did not create {iface} within {timeout.TotalSeconds:0} s");
            }
            await Task.Delay(5, ct);
        }
        return pid;
    }

    private static string LastLine(string path)
    {
        try { return File.ReadLines(path).LastOrDefault(l => l.Trim().Length > 0) ?? "no output"; }
        catch (IOException) { return "no output"; }
    }

    /// <summary>Clock ticks since boot now, to compare with a process's start time (field 22 of /proc/PID/stat).</summary>
    public static ulong NowTicks()
    {
        var uptime = File.ReadAllText("/proc/uptime").Split(' ')[0];
        return (ulong)(double.Parse(uptime, CultureInfo.InvariantCulture) * 100);
    }
}
