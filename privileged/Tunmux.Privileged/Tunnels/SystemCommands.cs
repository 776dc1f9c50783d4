using System.Runtime.InteropServices;
using Tunmux.Privileged.Processes;

namespace Tunmux.Privileged.Tunnels;

/// <summary>A failed system command, with the command's own last error line.</summary>
internal sealed class CommandFailedException(string message) : Exception(message);

/// <summary>
/// The few command shapes the tunnel code needs (ip in a namespace, wg inside or outside one),
/// all through one <see cref="ICommandRunner"/> (the daemon's own, or one that enters a rootless exit).
/// </summary>
internal sealed class SystemCommands(ICommandRunner runner, SystemTools tools)
{
    public SystemTools Tools { get; } = tools;

    /// <summary><c>ip [-n ns] args</c>; throws on failure.</summary>
    public Task<string> IpAsync(string? ns, IReadOnlyList<string> args, CancellationToken ct) =>
        CheckedAsync(Tools.Ip, ns is null ? args : ["-n", ns, .. args], null, null, ct);

    /// <summary><c>ip [-n ns] args</c>; the result, whatever it is (undo steps tolerate "already gone").</summary>
    public Task<ProcessResult> IpTryAsync(string? ns, IReadOnlyList<string> args, CancellationToken ct) =>
        runner.RunAsync(Tools.Ip, ns is null ? args : ["-n", ns, .. args], cancellationToken: ct);

    /// <summary><c>wg args</c>, inside <paramref name="ns"/> when given (a kernel interface is only visible there).</summary>
    public Task<string> WgAsync(string? ns, IReadOnlyList<string> args, string? stdin, CancellationToken ct) =>
        ns is null
            ? CheckedAsync(Tools.Wg, args, stdin, null, ct)
            : CheckedAsync(Tools.Ip, ["netns", "exec", ns, Tools.Wg, .. args], stdin, null, ct);

    public Task<ProcessResult> RunAsync(string file, IReadOnlyList<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default) =>
        runner.RunAsync(file, args, stdin, TimeSpan.FromSeconds(30), environment, ct);

    public async Task<string> CheckedAsync(string file, IReadOnlyList<string> args, string? stdin,
        IReadOnlyDictionary<string, string>? environment, CancellationToken ct)
    {
        var r = await runner.RunAsync(file, args, stdin, TimeSpan.FromSeconds(30), environment, ct);
        if (!r.Succeeded)
            throw new CommandFailedException($"{Path.GetFileName(file)} {string.Join(' ', args)}: {r.Summary}");
        return r.StandardOutput;
    }
}

/// <summary>Finding and ending the userspace WireGuard processes the tunnel code started.</summary>
internal static class ProcessControl
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private const int SigTerm = 15;
    private const int SigKill = 9;

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Runs as root (real and effective) and started at or after <paramref name="ticks"/>: any user can imitate a command line, not these.</summary>
    private static bool IsRootsSince(int pid, ulong ticks)
    {
        try
        {
            var uid = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var ids = uid?.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return ids is { Length: >= 3 } && ids[1] == "0" && ids[2] == "0"
                   && Processes.ManagedPids.ReadStartTime(pid) is { } start && start + 1 >= ticks;
        }
        catch (IOException) { return false; }
    }

    /// <summary>SIGTERM, then SIGKILL after a grace period; returns once the process is gone.</summary>
    public static async Task TerminateAsync(int pid, CancellationToken ct)
    {
        if (pid <= 1 || !IsRunning(pid)) return;
        Kill(pid, SigTerm);
        for (var i = 0; i < 40 && IsRunning(pid); i++) await Task.Delay(25, ct);
        if (!IsRunning(pid)) return;
        Kill(pid, SigKill);
        for (var i = 0; i < 40 && IsRunning(pid); i++) await Task.Delay(25, ct);
    }

    /// <summary>
    /// The PID of a running <c>&lt;program&gt; &lt;interface&gt;</c> in the network namespace of
    /// <paramref name="namespaceOf"/> (this process's when null): userspace implementations detach
    /// from the process that started them, and their command line is the only handle left. Interface
    /// names are unique within a namespace, not across them (a rootless exit of some user may use the same name).
    /// </summary>
    public static int? FindByCommandLine(IReadOnlyCollection<string> programNames, string iface, int? namespaceOf = null, ulong? startedAfter = null)
    {
        var netns = NetworkNamespaceOf(namespaceOf ?? Environment.ProcessId);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            var argv = cmdline.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            if (argv.Length >= 2 && programNames.Contains(Path.GetFileName(argv[0])) && argv[^1] == iface && IsRunning(pid)
                && netns is not null && NetworkNamespaceOf(pid) == netns
                && (startedAfter is not { } since || IsRootsSince(pid, since)))
                return pid;
        }
        return null;
    }

    /// <summary>The network namespace of a process (<c>net:[inode]</c>), or null when it is gone or not ours to see.</summary>
    public static string? NetworkNamespaceOf(int pid)
    {
        try { return new FileInfo($"/proc/{pid}/ns/net").LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
