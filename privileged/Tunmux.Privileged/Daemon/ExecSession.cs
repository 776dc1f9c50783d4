using System.Net.Sockets;
using System.Text.Json;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Proxy.Launch;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// <c>tunmux exec</c> on a root-mode exit: a program started inside the exit's namespace through
/// <see cref="RunAsCaller"/> (the caller's uid, gid and groups as the kernel recorded them on the socket, never
/// root for anyone else), for the exit's owner or root only. The request's connection then belongs to the
/// program (the exchange is described on <see cref="ExecArgs"/>): the caller's own stdin, stdout and stderr come
/// over it as <c>SCM_RIGHTS</c>, or at a terminal the program gets a pseudoterminal whose master side goes back to
/// the caller's client for relaying; either way the caller's working folder comes as an open descriptor. The second
/// answer is the exit status; a client that goes away first takes the program and its session with it.
/// </summary>
public sealed class ExecSession(ITunnelService tunnels, DaemonLog log)
{
    /// <summary>How long the client has to send its descriptors after the first answer.</summary>
    public TimeSpan DescriptorTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a program whose client went away has after SIGHUP before it and its session are killed.</summary>
    public TimeSpan HangUpGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Runs the program; writes both answers on <paramref name="output"/>. Errors are thrown (for one error answer).</summary>
    public async Task RunAsync(long id, ExecArgs args, PeerCredentials? peer, Socket? socket, Stream output, CancellationToken ct)
    {
        if (socket is null || peer is null)
            throw new PrivilegedException(ErrorCodes.NotImplemented,
                "exec needs the daemon's socket (descriptors cannot pass over a pipe); set privileged_transport = \"socket\"");
        var info = tunnels.ListRecorded().FirstOrDefault(i => i.Instance == args.Instance)
                   ?? throw new PrivilegedException(ErrorCodes.NotFound, $"no exit named '{args.Instance}'; see tunmux status");
        if (!RequestHandler.MayManage(info, peer.Uid))
            throw new PrivilegedException(ErrorCodes.Unauthorized,
                $"instance {info.Instance} belongs to another user; only they or root may run a program in it");
        if (info.Mode != "proxy" || info.Namespace is not { Length: > 0 } ns)
            throw new PrivilegedException(ErrorCodes.InvalidArgument,
                $"{info.Instance} is a direct connection: every program already goes through it; exec runs a program inside a proxy exit");

        var caller = peer.Caller;
        var env = RunAsCaller.BaseEnvironment(caller);
        foreach (var (k, v) in args.Environment)
            if (ExecEnvironment.IsPassed(k, v)) env[k] = v;

        await WriteAsync(output, id, new ExecResult { Ready = true }, ct).ConfigureAwait(false);
        var fd = (int)socket.Handle;
        var terminal = args.Terminal is not null;
        int[] received = [];
        Pseudoterminal? pty = null;
        int pid;
        try
        {
            received = ReceiveDescriptors(socket, terminal ? (byte)'T' : (byte)'F', terminal ? 1 : 4);
            var request = new RunAsCaller.Request
            {
                Caller = caller,
                File = args.File,
                Arguments = args.Arguments,
                Environment = env,
                Namespace = ns,
                WorkingDirectory = received[^1],
            };
            if (args.Terminal is { } t)
            {
                pty = Pseudoterminal.Open(caller.Uid, Posix.LookupGroup("tty")?.Gid ?? caller.Gid, (ushort)t.Rows, (ushort)t.Columns);
                request = request with { Terminal = pty.SlavePath };
            }
            else
            {
                request = request with { Descriptors = new Dictionary<int, int> { [0] = received[0], [1] = received[1], [2] = received[2] } };
            }
            pid = RunAsCaller.Start(request);
            if (pty is not null) DescriptorPassing.Send(fd, (byte)'T', [pty.Master]);
        }
        catch when (terminal)
        {
            // The client waits for its terminal: a byte without one tells it an error answer follows.
            TrySendByte(socket, (byte)'E');
            throw;
        }
        finally
        {
            // The program holds its own copies now; the daemon keeps none of the caller's descriptors or the terminal.
            foreach (var d in received) Libc.Close(d);
            pty?.Dispose();
        }
        log.Info($"exec by uid {peer.Uid} (pid {peer.Pid}) in {info.Instance}: pid {pid} {args.File} ({args.Arguments.Count} arguments{(terminal ? ", terminal" : "")})");

        var exited = RunAsCaller.WaitAsync(pid);
        using var done = new CancellationTokenSource();
        var gone = WaitForHangUpAsync(socket, done.Token);
        if (await Task.WhenAny(exited, gone).ConfigureAwait(false) != exited)
        {
            var code = await EndAsync(pid, exited).ConfigureAwait(false);
            log.Info($"exec pid {pid} in {info.Instance} ended with its client (exit code {code})");
            return;
        }
        await done.CancelAsync().ConfigureAwait(false);
        var exitCode = await exited.ConfigureAwait(false);
        await WriteAsync(output, id, new ExecResult { ExitCode = exitCode }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The client's one batch of descriptors: <paramref name="count"/> of them on the byte <paramref name="marker"/>
    /// (anything else is refused and closed). Waits at most <see cref="DescriptorTimeout"/>.
    /// </summary>
    private int[] ReceiveDescriptors(Socket socket, byte marker, int count)
    {
        if (!socket.Poll(DescriptorTimeout, SelectMode.SelectRead))
            throw new PrivilegedException(ErrorCodes.BadFrame, "exec: the client sent no descriptors in time");
        var got = DescriptorPassing.Receive((int)socket.Handle, count);
        if (got is { } g && g.Marker == marker && g.Descriptors.Length == count) return g.Descriptors;
        foreach (var d in got?.Descriptors ?? []) Libc.Close(d);
        throw new PrivilegedException(ErrorCodes.BadFrame,
            marker == 'F' ? "exec: expected the caller's stdin, stdout, stderr and working folder" : "exec: expected the caller's working folder");
    }

    /// <summary>SIGHUP to the program's session (as a closing terminal does), then SIGKILL to what is left after the grace.</summary>
    private async Task<int> EndAsync(int pid, Task<int> exited)
    {
        if (!exited.IsCompleted) RunAsCaller.SignalSession(pid, Libc.SIGHUP);
        if (await Task.WhenAny(exited, Task.Delay(HangUpGrace)).ConfigureAwait(false) != exited)
            RunAsCaller.SignalSession(pid, Libc.SIGKILL);
        var code = await exited.ConfigureAwait(false);
        // The leader is reaped; anything of its session that outlived it (a job it left behind) goes too.
        RunAsCaller.SignalSession(pid, Libc.SIGKILL);
        return code;
    }

    /// <summary>Completes when the client closes its end (or breaks the protocol by sending more): nothing more is expected from it.</summary>
    private static async Task WaitForHangUpAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[1];
        try
        {
            await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException) { }
    }

    private static void TrySendByte(Socket socket, byte b)
    {
        try { socket.Send([b]); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    private static Task WriteAsync(Stream output, long id, ExecResult result, CancellationToken ct)
    {
        var response = new Response { Id = id, Ok = true, Result = RequestHandler.ToElement(result) };
        return MessageFraming.WriteAsync(output, JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJson.Options), ct);
    }
}
