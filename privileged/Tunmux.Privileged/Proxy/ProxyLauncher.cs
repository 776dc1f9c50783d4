using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Proxy.Access;
using Tunmux.Privileged.Proxy.Launch;
using Tunmux.Privileged.Proxy.Runtime;

namespace Tunmux.Privileged.Proxy;

/// <summary>
/// Starts one proxy process per instance:
/// <c>ip netns exec &lt;ns&gt; setpriv --reuid=65534 ... -- tunmux-proxy ...</c> (see <see cref="ProxyExecutable"/>).
/// <c>ip netns exec</c> puts it in the VPN namespace (every outbound socket it makes is there by
/// construction) and bind-mounts the namespace's resolv.conf; <c>setpriv</c> drops root before
/// tunmux even starts. Its listeners are created here, in the daemon's (host) namespace, on
/// loopback, and inherited. The process survives the daemon (own session, reparented to init).
/// </summary>
public sealed partial class ProxyLauncher(PrivilegedPaths paths, ManagedPids pids, ProcessRunner runner) : IProxyLauncher
{
    /// <summary>
    /// The proxy runs as <c>nobody</c>/<c>nogroup</c> (65534 on Debian, Ubuntu and Fedora alike): it owns
    /// no files and needs none (its sockets are inherited, its log is an inherited descriptor), so a
    /// compromised proxy can reach nothing but the network it already had.
    /// </summary>
    public const int UnprivilegedId = 65534;

    // Child descriptor layout: 0 stdin (credentials or /dev/null), 1 and 2 the log, then the sockets.
    private const int FirstSocketFd = 3;

    private static readonly ConcurrentDictionary<int, Task> Reapers = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    // Each instance's listening sockets, kept after its proxy started: a proxy started again (after a crash)
    // serves the same sockets, so clients that connect meanwhile wait in the backlog instead of being refused.
    private readonly Dictionary<string, (HostListeners Listeners, int Socks, int Http)> _kept = new(StringComparer.Ordinal);

    // Each instance's proxy as this launcher started it, with the task that reaps it. Until that task ends the child
    // runs (and its PID cannot be reused): a supervisor asking every few seconds is answered from memory instead of
    // the PID file and /proc.
    private readonly ConcurrentDictionary<string, (int Pid, Task Reaper)> _started = new(StringComparer.Ordinal);

    /// <summary>How long the proxy has to report it accepts connections.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long SIGTERM has before SIGKILL.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How the proxy gets into its exit's namespace; null for the daemon's way
    /// (<c>ip netns exec</c> into a named namespace, then <c>setpriv</c> to nobody).
    /// </summary>
    public IProxyEntry? Entry { get; init; }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamespacePattern();

    public async Task<int> StartAsync(ProxyLaunchSpec spec, CancellationToken cancellationToken)
    {
        Validate(spec);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Starting an instance that already has a proxy replaces it.
            await StopCoreAsync(spec.Instance, keepListeners: true);
            if (Entry is { } entry) entry.Check(spec);
            else CheckNamespace(spec.Namespace);
            return await LaunchAsync(spec, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAsync(string instance, CancellationToken cancellationToken)
    {
        if (!InstanceNames.IsValidInstance(instance)) throw new ArgumentException($"'{instance}' is not a valid instance name");
        await _gate.WaitAsync(cancellationToken);
        try { await StopCoreAsync(instance, keepListeners: false); }
        finally { _gate.Release(); }
    }

    /// <summary>The instance's proxy PID when that process still runs, else null (never started, exited or killed).</summary>
    public int? RunningPid(string instance)
    {
        if (_started.TryGetValue(instance, out var child) && !child.Reaper.IsCompleted) return child.Pid;
        var pid = ReadPidFile(instance);
        return pid is { } p && IsAlive(p) ? p : null;
    }

    private static void Validate(ProxyLaunchSpec spec)
    {
        if (!InstanceNames.IsValidInstance(spec.Instance)) throw new ArgumentException($"'{spec.Instance}' is not a valid instance name");
        if (spec.SocksPort is < 1 or > 65535 || spec.HttpPort is < 1 or > 65535 || spec.SocksPort == spec.HttpPort)
            throw new ArgumentException($"proxy ports must be two different numbers from 1 to 65535 (got {spec.SocksPort} and {spec.HttpPort})");
        if (spec.MaxConnections < 1) throw new ArgumentException("the connection bound must be at least 1");
        if ((spec.Username is null) != (spec.Password is null)) throw new ArgumentException("proxy username and password go together");
        if (spec.Username is { } u && spec.Password is { } p)
        {
            // RFC 1929 fields are at most 255 bytes; the username travels on one line.
            if (u.Length == 0 || Encoding.UTF8.GetByteCount(u) > 255 || u.Contains('\n'))
                throw new ArgumentException("the proxy username must be 1 to 255 bytes on one line");
            if (p.Length == 0 || Encoding.UTF8.GetByteCount(p) > 255 || p.Contains('\n'))
                throw new ArgumentException("the proxy password must be 1 to 255 bytes on one line");
        }
    }

    /// <summary>Fails early with a clear message; a file check, since a process spawn here would cost every connect.</summary>
    private static void CheckNamespace(string ns)
    {
        if (!NamespacePattern().IsMatch(ns)) throw new ArgumentException($"'{ns}' is not a valid namespace name");
        if (!File.Exists(Path.Combine(Tunnels.SystemTools.SystemNetnsRunDir, ns)))
            throw new InvalidOperationException($"cannot start the proxy: network namespace {ns} does not exist; bring the tunnel up first");
    }

    private async Task<int> LaunchAsync(ProxyLaunchSpec spec, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the proxy runtime needs Linux network namespaces");
        Directory.CreateDirectory(paths.ProxyDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var logPath = paths.ProxyLogFile(spec.Instance);
        // The previous run's log is kept once as .1 when it grew large; the running proxy caps its own.
        if (new FileInfo(logPath) is { Exists: true, Length: > Server.ProxyLog.DefaultMaxBytes / 2 })
            File.Move(logPath, logPath + ".1", overwrite: true);
        // The same sockets as the last start when the ports are the same (a restart after a crash).
        var listeners = KeptOrNewListeners(spec);
        using var log = File.Open(logPath, new FileStreamOptions
        {
            Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        var logFd = (int)log.SafeFileHandle.DangerousGetHandle();

        var fds = new Dictionary<int, int> { [1] = logFd, [2] = logFd };
        var next = FirstSocketFd;
        List<int> Place(IEnumerable<System.Net.Sockets.Socket> sockets)
        {
            var placed = new List<int>();
            foreach (var s in sockets)
            {
                fds[next] = (int)s.SafeHandle.DangerousGetHandle();
                placed.Add(next++);
            }
            return placed;
        }
        // Opened here, in the host namespace: the proxy asks it who owns each client socket on the host's loopback.
        using var diag = SockDiag.Open();
        var diagFd = next++;
        fds[diagFd] = diag.Descriptor;
        var access = spec.Access ?? new ProxyAccessSpec(false, [0], []);
        var args = new ProxyArguments
        {
            Instance = spec.Instance,
            SocksFds = Place(listeners.Socks),
            SocksUdpFds = Place(listeners.SocksUdp),
            HttpFds = Place(listeners.Http),
            DiagFd = diagFd,
            Share = access.Share,
            AllowUids = access.Uids,
            AllowGids = access.Gids,
            ReadyFd = next,
            CredentialsOnStdin = spec.Username is not null,
            AccessLog = spec.AccessLog,
            MaxConnections = spec.MaxConnections,
        };

        using var ready = Pipe.Create();
        fds[next] = ready.WriteFd;
        using var credentials = spec.Username is null ? null : Pipe.Create();
        if (credentials is not null)
        {
            // Credentials go through a pipe on stdin, never argv or the environment. They fit the pipe buffer.
            Libc.WriteAll(credentials.WriteFd, Encoding.UTF8.GetBytes($"{spec.Username}\n{spec.Password}"));
            credentials.CloseWrite();
            fds[0] = credentials.ReadFd;
        }

        var (program, prefix) = ProxyExecutable.Resolve();
        var (file, argv) = Entry is { } entry
            ? entry.Command(spec, program, [.. prefix, .. args.ToArgs()])
            : NetnsExecCommand(spec, program, [.. prefix, .. args.ToArgs()]);

        int pid;
        lock (runner) runner.Journal?.Add(string.Join(' ', argv));
        pid = NativeSpawn.Spawn(file, argv, ChildEnvironment(), fds);
        StartReaper(pid);

        // The child holds its own copies now; the parent keeps the listeners for a restart.
        ready.CloseWrite();
        credentials?.CloseRead();
        try
        {
            WritePidFile(spec.Instance, pid);
            pids.Register(pid);
        }
        catch (InvalidOperationException)
        {
            // Exited before we could record it; the readiness wait below reports why.
        }

        var readyTask = Task.Run(() => ready.ReadLine());
        var finished = await Task.WhenAny(readyTask, Task.Delay(ReadyTimeout, cancellationToken)).ConfigureAwait(false);
        if (finished == readyTask && readyTask.Result == "READY") return pid;

        // Not ready: make sure it is gone, then report its own last words.
        Libc.Kill(pid, Libc.SIGKILL);
        await WaitExitAsync(pid, TimeSpan.FromSeconds(5));
        Forget(spec.Instance, pid);
        cancellationToken.ThrowIfCancellationRequested();
        var why = finished == readyTask ? LastLogLine(logPath) ?? "it exited at once" : $"it did not report ready within {ReadyTimeout.TotalSeconds:0} s";
        throw new InvalidOperationException($"the proxy for {spec.Instance} did not start: {why} (log: {logPath})");
    }

    /// <summary><c>ip netns exec &lt;ns&gt; setpriv --reuid=nobody ... -- program args</c>: the daemon's exits.</summary>
    private static (string File, IReadOnlyList<string> Argv) NetnsExecCommand(ProxyLaunchSpec spec, string program, IReadOnlyList<string> programArgs)
    {
        var argv = new List<string>
        {
            "ip", "netns", "exec", spec.Namespace,
            Tool("setpriv"), $"--reuid={UnprivilegedId}", $"--regid={UnprivilegedId}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
            program,
        };
        argv.AddRange(programArgs);
        return (Tool("ip"), argv);
    }

    private HostListeners KeptOrNewListeners(ProxyLaunchSpec spec)
    {
        if (_kept.TryGetValue(spec.Instance, out var kept))
        {
            if (kept.Socks == spec.SocksPort && kept.Http == spec.HttpPort) return kept.Listeners;
            kept.Listeners.Dispose();
            _kept.Remove(spec.Instance);
        }
        var listeners = HostListeners.Create(spec.SocksPort, spec.HttpPort);
        _kept[spec.Instance] = (listeners, spec.SocksPort, spec.HttpPort);
        return listeners;
    }

    private async Task StopCoreAsync(string instance, bool keepListeners)
    {
        if (!keepListeners && _kept.Remove(instance, out var kept)) kept.Listeners.Dispose();
        var pid = ReadPidFile(instance);
        if (pid is null) return;
        var p = pid.Value;
        if (pids.IsManaged(p))
        {
            Libc.Kill(p, Libc.SIGTERM);
            if (!await WaitExitAsync(p, StopTimeout))
            {
                Libc.Kill(p, Libc.SIGKILL);
                await WaitExitAsync(p, TimeSpan.FromSeconds(5));
            }
        }
        Forget(instance, p);
    }

    private void Forget(string instance, int pid)
    {
        _started.TryRemove(instance, out _);
        pids.Unregister(pid);
        File.Delete(paths.ProxyPidFile(instance));
    }

    /// <summary>Alive: recorded as ours, same start time, and not a zombie waiting to be reaped.</summary>
    private bool IsAlive(int pid) => pids.IsManaged(pid) && State(pid) is not ('Z' or 'X' or null);

    private async Task<bool> WaitExitAsync(int pid, TimeSpan timeout)
    {
        // Our own child: done when reaped, so no zombie is left behind.
        if (Reapers.TryGetValue(pid, out var reaper))
            return await Task.WhenAny(reaper, Task.Delay(timeout)).ConfigureAwait(false) == reaper;
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            if (!IsAlive(pid)) return true;
            await Task.Delay(20).ConfigureAwait(false);
        }
        return !IsAlive(pid);
    }

    private static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (IOException) { return null; }
    }

    /// <summary>Reaps the child when it exits, so a killed proxy shows as gone (not as a zombie) while the daemon runs.</summary>
    internal static unsafe void StartReaper(int pid)
    {
        Reapers[pid] = Task.Factory.StartNew(() =>
        {
            int status;
            while (Libc.WaitPid(pid, &status, 0) < 0 && Libc.LastError == Libc.EINTR) { }
            Reapers.TryRemove(pid, out _);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private int? ReadPidFile(string instance)
    {
        try
        {
            var text = File.ReadAllText(paths.ProxyPidFile(instance)).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1 ? pid : null;
        }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    private void WritePidFile(string instance, int pid)
    {
        var path = paths.ProxyPidFile(instance);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, pid.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(tmp, path, overwrite: true);
        if (Reapers.TryGetValue(pid, out var reaper)) _started[instance] = (pid, reaper);
        else _started.TryRemove(instance, out _);
    }

    private static string? LastLogLine(string path)
    {
        try
        {
            return File.ReadLines(path).Where(l => l.Trim().Length > 0).LastOrDefault();
        }
        catch (IOException) { return null; }
    }

    /// <summary>A minimal environment: nothing of the daemon's leaks into a process run as nobody.</summary>
    private static List<string> ChildEnvironment()
    {
        var env = new List<string>
        {
            "PATH=" + SystemPaths.SearchPath,
            "HOME=/",
            "LANG=C.UTF-8",
            // No diagnostics IPC socket in /tmp; a smaller, non-concurrent GC suits a relay.
            "DOTNET_EnableDiagnostics=0",
            "DOTNET_gcConcurrent=0",
            // Each proxy's own memory cap (256 MiB of GC heap): every proxy shares the daemon's service, so one
            // must never be able to take what the others need.
            "DOTNET_GCHeapHardLimit=0x10000000",
            // Socket continuations run on the epoll thread instead of a hop through the thread pool:
            // the relay code never blocks, and the hop is most of the cost of a short connection.
            "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1",
        };
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root) env.Add("DOTNET_ROOT=" + root);
        return env;
    }

    private static string Tool(string name) =>
        SystemPaths.Require(name, name == "ip" ? "iproute2" : "util-linux");
}
