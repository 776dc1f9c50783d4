using System.Globalization;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Proxy.Launch;

namespace Tunmux.Privileged.Processes;

/// <summary>
/// The one way the root daemon starts a program on a caller's behalf (an exit's <c>ifup</c>/<c>ifdown</c>
/// hooks and <c>tunmux exec</c> on a root-mode exit): as that caller, never as root unless root is the caller.
/// </summary>
/// <remarks>
/// <para>
/// The program runs with the caller's uid, primary gid and supplementary groups exactly as the kernel
/// recorded them on the control socket (<see cref="CallerIdentity"/>), set by <c>setpriv</c> before the
/// program is executed: <c>[ip netns exec NS] setpriv --reuid=U --regid=G --groups=A,B -- FILE ARGS</c>.
/// Every tool is started by absolute path from the system folders (<see cref="SystemPaths"/>); the
/// program itself must be given by absolute path too, so nothing from a caller's PATH or folder can stand
/// in for it. A uid change away from root drops every capability, as execve does for a setuid program.
/// </para>
/// <para>
/// Nothing of the daemon reaches the child: its environment is exactly <see cref="Request.Environment"/>
/// (start from <see cref="BaseEnvironment"/>), its descriptors exactly <see cref="Request.Descriptors"/>
/// (stdin /dev/null unless given; every other descriptor closed), its working folder the one the caller handed
/// over (<see cref="Request.WorkingDirectory"/>), else the caller's home when that exists. It gets a session (and process group) of its own, so it can be ended as a whole by
/// <see cref="KillGroup"/>, and a terminal's signals to the daemon never reach it.
/// </para>
/// <para>
/// With <see cref="Request.Namespace"/>, the program starts inside that network namespace the way
/// <c>ip netns exec</c> does (the namespace's <c>resolv.conf</c> bind-mounted over <c>/etc/resolv.conf</c>),
/// before the identity is dropped: every socket it makes is in the namespace.
/// </para>
/// <para>The caller reaps the child: <see cref="WaitAsync"/> returns its exit status.</para>
/// </remarks>
public static class RunAsCaller
{
    /// <summary>What to start, and how.</summary>
    public sealed record Request
    {
        public required CallerIdentity Caller { get; init; }

        /// <summary>Absolute path of the program.</summary>
        public required string File { get; init; }

        public IReadOnlyList<string> Arguments { get; init; } = [];

        /// <summary>The child's whole environment.</summary>
        public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

        /// <summary>A network namespace (by name) to run in; null for the daemon's own.</summary>
        public string? Namespace { get; init; }

        /// <summary>Child descriptor number → daemon descriptor. Missing 0 means /dev/null.</summary>
        public IReadOnlyDictionary<int, int> Descriptors { get; init; } = new Dictionary<int, int>();

        /// <summary>
        /// A terminal (<c>/dev/pts/N</c>, the caller's own) that becomes the program's controlling terminal and its
        /// stdin, stdout and stderr (<c>tunmux exec</c> at a terminal); null for none. Excludes descriptors 0 to 2.
        /// </summary>
        public string? Terminal { get; init; }

        /// <summary>
        /// An open folder of the caller's (a descriptor it handed over) to start in; null for the caller's home.
        /// Entered by descriptor, so no path the caller controls is followed with the daemon's rights.
        /// </summary>
        public int? WorkingDirectory { get; init; }
    }

    private const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>
    /// The environment a login of the caller would start with, no more: HOME, USER, LOGNAME and SHELL from the
    /// user database, a fixed PATH and a UTF-8 locale. Callers add their own variables to it.
    /// </summary>
    public static Dictionary<string, string> BaseEnvironment(CallerIdentity caller)
    {
        var account = Posix.LookupAccount(caller.Uid);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = caller.IsRoot ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : DefaultPath,
            ["LANG"] = "C.UTF-8",
            ["HOME"] = account?.Home is { Length: > 0 } home ? home : "/",
        };
        if (account is not null)
        {
            env["USER"] = account.Name;
            env["LOGNAME"] = account.Name;
            if (account.Shell.Length > 0) env["SHELL"] = account.Shell;
        }
        return env;
    }

    /// <summary>The argument vector that is executed (its first element is the file run).</summary>
    public static IReadOnlyList<string> CommandLine(Request request)
    {
        if (!Path.IsPathRooted(request.File))
            throw new ArgumentException($"the program must be given by absolute path (got '{request.File}')");
        var argv = new List<string>();
        if (request.Namespace is { } ns)
        {
            // Only an exit's namespace: a caller is never placed in any other.
            if (!ns.StartsWith(InstanceNames.NamespacePrefix, StringComparison.Ordinal)
                || !InstanceNames.IsValidInstance(ns[InstanceNames.NamespacePrefix.Length..]))
                throw new ArgumentException($"'{ns}' is not the namespace of an exit");
            argv.AddRange([SystemPaths.Require("ip", "iproute2"), "netns", "exec", ns]);
        }
        var c = request.Caller;
        argv.AddRange([
            SystemPaths.Require("setpriv", "util-linux"),
            "--reuid=" + c.Uid.ToString(CultureInfo.InvariantCulture),
            "--regid=" + c.Gid.ToString(CultureInfo.InvariantCulture),
        ]);
        // The caller's own groups; none is a real answer too (and never the daemon's root groups).
        argv.Add(c.Groups.Count == 0
            ? "--clear-groups"
            : "--groups=" + string.Join(',', c.Groups.Select(g => g.ToString(CultureInfo.InvariantCulture))));
        argv.Add("--");
        argv.Add(request.File);
        argv.AddRange(request.Arguments);
        return argv;
    }

    /// <summary>Starts the program; returns its PID (also its process group and session id).</summary>
    public static int Start(Request request)
    {
        var argv = CommandLine(request);
        var env = request.Environment.Select(kv => kv.Key + "=" + kv.Value).ToList();
        var home = request.Environment.TryGetValue("HOME", out var h) && Directory.Exists(h) ? h : "/";
        return NativeSpawn.Spawn(argv[0], argv, env, request.Descriptors, workingDirectory: home, controllingTerminal: request.Terminal,
            workingDirectoryFd: request.WorkingDirectory);
    }

    /// <summary>Waits for the child to end and reaps it; returns its exit code (128 + signal when a signal ended it).</summary>
    public static Task<int> WaitAsync(int pid) => Task.Factory.StartNew(() => Reap(pid),
        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Ends the child and everything it started in its process group.</summary>
    public static void KillGroup(int pid)
    {
        if (pid > 1) Libc.Kill(-pid, Libc.SIGKILL);
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to the child's process group and to every other process still in its session
    /// (a shell's jobs get process groups of their own): what the child started goes with it.
    /// </summary>
    public static void SignalSession(int pid, int signal)
    {
        if (pid <= 1) return;
        Libc.Kill(-pid, signal);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var other) || other <= 1) continue;
            if (SessionOf(other) == pid) Libc.Kill(other, signal);
        }
    }

    /// <summary>The session id in <c>/proc/PID/stat</c> (the sixth field, after the command name in parentheses).</summary>
    private static int? SessionOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 3 && int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var sid) ? sid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static unsafe int Reap(int pid)
    {
        int status;
        while (Libc.WaitPid(pid, &status, 0) < 0)
            if (Libc.LastError != Libc.EINTR) return -1;
        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }
}
