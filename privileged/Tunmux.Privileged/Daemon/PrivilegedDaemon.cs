using System.Runtime.Versioning;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// <c>tunmux privileged --serve</c>: the root side's request loop. Listens on the control socket (bound here,
/// or handed over by systemd) and serves many clients at once, or serves exactly one client on stdin/stdout.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PrivilegedDaemon
{
    private const UnixFileMode RuntimeDirMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode PrivateDirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SocketMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    /// <summary>Clients served at once; past it a new connection is closed at once (each one holds a task and buffers).</summary>
    public const int MaxClients = 256;
    private int _clients;
    private readonly LogBudget _overloaded;
    private static readonly TimeSpan DrainWait = TimeSpan.FromSeconds(10);

    private readonly DaemonOptions _options;
    private readonly DaemonLog _log;
    private readonly DaemonLifecycle _lifecycle;
    private ConnectionHandler _connections;
    private readonly Authorizer _authorizer;
    private readonly ITunnelService _tunnels;
    private long _nextConnectionId;

    public PrivilegedDaemon(DaemonOptions options, ITunnelService tunnels, DaemonLog log)
    {
        _options = options;
        _log = log;
        // Only a daemon a client autostarted may be told to stop by a client; one run by systemd or an admin stays.
        _lifecycle = new DaemonLifecycle(shutdownAllowed: options.Autostarted, options.IdleTimeoutMs);
        var killer = new ManagedProcessKiller(new ManagedPids(options.Paths.ManagedPidsDir));
        _connections = new ConnectionHandler(
            new RequestHandler(tunnels, killer, _lifecycle, log, new MutationLock(options.Paths.MutationLockFile)), _lifecycle, log)
        { Exec = new ExecSession(tunnels, log) };
        _authorizer = new Authorizer(options.AuthorizedGroup);
        _tunnels = tunnels;
        _overloaded = new LogBudget(log, "too-many-clients");
        if (int.TryParse(Environment.GetEnvironmentVariable("TUNMUX_PRIVILEGED_READ_TIMEOUT_MS"), out var ms) && ms > 0)
        {
            // For tests of the timeouts (root's own environment only; sudo resets the caller's).
            _connections = new ConnectionHandler(_connections.Handler, _lifecycle, log)
            { IdleReadTimeout = TimeSpan.FromMilliseconds(ms), FrameReadTimeout = TimeSpan.FromMilliseconds(ms), Exec = _connections.Exec };
        }
    }

    public DaemonLifecycle Lifecycle => _lifecycle;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var _ = cancellationToken.Register(() => _lifecycle.Stop("cancelled"));
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        try
        {
            return _options.Stdio ? await RunStdioAsync().ConfigureAwait(false) : await RunSocketAsync().ConfigureAwait(false);
        }
        finally
        {
            _log.Info($"privileged daemon stopped: {_lifecycle.StopReason ?? "done"}; {_connections.MalformedCount} malformed request(s) refused");
            _lifecycle.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _lifecycle.Stop($"signal {context.Signal}");
    }

    private async Task<int> RunStdioAsync()
    {
        // Stdout carries the protocol; anything else printed there would corrupt it.
        var input = Console.OpenStandardInput();
        var output = Console.OpenStandardOutput();
        Console.SetOut(Console.Error);
        PrepareRuntimeDirs();
        await RestoreFirewallAsync().ConfigureAwait(false);

        var peer = StdioCaller.Identify(Environment.GetEnvironmentVariable("SUDO_UID"), Environment.GetEnvironmentVariable("SUDO_GID"),
            Posix.GetEuid(), StdioCaller.ReadParent());
        // Neither sudo nor a parent passes its groups on: programs started for this caller (its hooks) get what the
        // user database gives a login of that user.
        if (peer.Uid != uint.MaxValue && Posix.LookupAccount(peer.Uid) is { } account)
            peer = peer with { Groups = Posix.GroupsOf(account.Name, peer.Gid) };
        // Without sudo's word for who asked, only a root parent (or this daemon's own user) may use the helper:
        // doas, pkexec and run0 say nothing this daemon trusts.
        var authorized = peer.Pid == 0 ? _authorizer.IsAuthorized(peer) : peer.Uid == 0 || peer.Uid == Posix.GetEuid();
        _log.Info($"privileged daemon serving stdio (pid {Environment.ProcessId}, group {_options.AuthorizedGroup ?? "none"})");
        await _connections.ServeAsync(input, output, Interlocked.Increment(ref _nextConnectionId), peer, authorized).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> RunSocketAsync()
    {
        if (_options.Autostarted && !_options.Stdio)
        {
            // Leave the launching terminal's session: a Ctrl-C aimed at the command that started us must not stop us.
            Posix.SetSid();
        }
        PrepareRuntimeDirs();

        using var daemonLock = await AcquireDaemonLockAsync().ConfigureAwait(false);
        if (daemonLock is null)
        {
            var message = $"another privileged daemon is already running (lock {LockPath} is held)";
            _log.Error(message);
            Console.Error.WriteLine("error: " + message);
            return 1;
        }
        await RestoreFirewallAsync().ConfigureAwait(false);

        Socket listener;
        bool bound;
        try
        {
            (listener, bound) = OpenListener();
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            var message = $"cannot listen on {_options.Paths.SocketPath}: {e.Message}";
            _log.Error(message);
            Console.Error.WriteLine("error: " + message);
            return 1;
        }

        _log.Info($"privileged daemon listening on {(bound ? _options.Paths.SocketPath : "a socket from the service manager")} " +
                  $"(pid {Environment.ProcessId}, group {_options.AuthorizedGroup ?? "none"}, autostarted {_options.Autostarted}, " +
                  $"idle timeout {(_options.IdleTimeoutMs is { } ms ? ms + " ms" : "none")})");

        // Exits outlive daemons: take over watching those a previous daemon supervised, and every one brought up from now on.
        await _tunnels.SuperviseAsync(_lifecycle, _log.Info, _lifecycle.Stopping).ConfigureAwait(false);

        // Ready: whoever launched us in the background must not wait on our inherited pipes any longer.
        if (_options.Autostarted) Posix.DetachStandardStreams();

        var clients = new List<Task>();
        using (listener)
        using (_lifecycle.Stopping.Register(() => listener.Dispose()))
        {
            while (!_lifecycle.Stopping.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(_lifecycle.Stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    if (_lifecycle.Stopping.IsCancellationRequested) break;
                    _log.Warn($"accept failed: {e.Message}");
                    await Task.Delay(50).ConfigureAwait(false);
                    continue;
                }
                if (Interlocked.Increment(ref _clients) > MaxClients)
                {
                    Interlocked.Decrement(ref _clients);
                    _overloaded.Warn($"more than {MaxClients} clients at once; closed a new connection");
                    client.Dispose();
                    continue;
                }
                lock (clients)
                {
                    clients.RemoveAll(t => t.IsCompleted);
                    clients.Add(Task.Run(async () =>
                    {
                        try { await ServeClientAsync(client).ConfigureAwait(false); }
                        finally { Interlocked.Decrement(ref _clients); }
                    }));
                }
            }
        }

        // Stop taking new clients first, so a command starting now autostarts a fresh daemon instead of finding this one gone mid-way.
        if (bound) TryDelete(_options.Paths.SocketPath);
        Task[] pending;
        lock (clients) pending = clients.ToArray();
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(DrainWait)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Lockdown (and a kill switch) must hold again after a reboot, which empties the kernel's tables: the daemon puts
    /// the table back as its saved state says before it serves anyone. A failure is logged; the state stays, so the
    /// next change tries again.
    /// </summary>
    private async Task RestoreFirewallAsync()
    {
        try
        {
            await _tunnels.RestoreFirewallAsync(_lifecycle.Stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Error($"restoring the firewall table failed: {ConnectionHandler.OneLine(e.Message)}");
        }
    }

    private async Task ServeClientAsync(Socket client)
    {
        using (client)
        {
            PeerCredentials peer;
            try
            {
                peer = PeerCredentials.FromSocket(client);
            }
            catch (SocketException e)
            {
                _log.Warn($"cannot read the peer's credentials, dropping the connection: {e.Message}");
                return;
            }
            var authorized = _authorizer.IsAuthorized(peer);
            await using var stream = new NetworkStream(client, ownsSocket: false);
            using var stopRegistration = _lifecycle.Stopping.Register(() => client.Dispose());
            await _connections.ServeAsync(stream, stream, Interlocked.Increment(ref _nextConnectionId), peer, authorized, client).ConfigureAwait(false);
        }
    }

    private string LockPath => Path.Combine(_options.Paths.RuntimeDir, "daemon.lock");

    /// <summary>
    /// One daemon per runtime folder: an exclusive lock held for the process's life. A daemon that is just
    /// stopping still holds it for a moment, so a successor waits briefly instead of failing.
    /// </summary>
    private async Task<FileStream?> AcquireDaemonLockAsync()
    {
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                var lockFile = new FileStream(LockPath, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                // The holder's PID, so scripts and operators can end the daemon by PID.
                lockFile.SetLength(0);
                lockFile.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n"));
                lockFile.Flush();
                return lockFile;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Another user's command may have started a daemon a moment earlier: once it answers, step aside.
                if (SocketAnswers()) return null;
                await Task.Delay(50).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private bool SocketAnswers()
    {
        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            probe.Connect(new UnixDomainSocketEndPoint(_options.Paths.SocketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The runtime folder: root-owned 0755 so group members can reach the socket; managed-pids 0700; state 0700.</summary>
    private void PrepareRuntimeDirs()
    {
        var paths = _options.Paths;
        foreach (var dir in new[] { paths.RuntimeDir, paths.ManagedPidsDir, paths.StateDir })
        {
            var info = new DirectoryInfo(dir);
            if (info.Exists && info.LinkTarget is not null)
                throw new InvalidOperationException($"{dir} is a symbolic link; refusing to use it as a privileged folder");
        }
        Directory.CreateDirectory(paths.RuntimeDir, RuntimeDirMode);
        File.SetUnixFileMode(paths.RuntimeDir, RuntimeDirMode);
        Directory.CreateDirectory(paths.ManagedPidsDir, PrivateDirMode);
        File.SetUnixFileMode(paths.ManagedPidsDir, PrivateDirMode);
        Directory.CreateDirectory(paths.StateDir, PrivateDirMode);
        if (Posix.GetEuid() == 0)
        {
            Posix.Chown(paths.RuntimeDir, 0, 0);
            Posix.Chown(paths.ManagedPidsDir, 0, 0);
        }
        // Records of processes that have exited (or whose PID was reused) since the last run are dropped.
        new ManagedPids(paths.ManagedPidsDir).Live();
    }

    private (Socket Listener, bool Bound) OpenListener()
    {
        if (SocketActivation.TryTakeListener() is { } inherited) return (inherited, false);

        var final = _options.Paths.SocketPath;
        // We hold the daemon lock, so whatever socket is there belongs to a daemon that is gone.
        TryDelete(final);
        // Bound under a temporary name and renamed once its mode and group are set and it listens: a client never
        // meets the socket half made (root-only for a moment, which a member would take for a refusal).
        var path = final + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        TryDelete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, SocketMode);
            if (Posix.GetEuid() == 0)
            {
                uint gid = 0;
                if (_options.AuthorizedGroup is { } group)
                {
                    if (Posix.LookupGroup(group) is { } g) gid = g.Gid;
                    else _log.Warn($"authorized group '{group}' does not exist; only root can use the daemon (create it with: groupadd {group})");
                }
                if (Posix.Chown(path, 0, gid) != 0)
                    throw new IOException($"chown of {path} failed (errno {Marshal.GetLastPInvokeError()})");
            }
            socket.Listen(512);
            File.Move(path, final, overwrite: true);
            return (socket, true);
        }
        catch
        {
            socket.Dispose();
            TryDelete(path);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
