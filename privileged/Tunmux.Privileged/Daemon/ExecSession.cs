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
/// program (see <see cref="ExecArgs"/>): the caller's own stdin, stdout and stderr come over it as
/// <c>SCM_RIGHTS</c>, or at a terminal the program gets a pseudoterminal whose master side goes back to the
/// caller's client for relaying. The second answer is the exit status; a client that goes away first takes
/// the program with it.
/// </summary>
public sealed class ExecSession(ITunnelService tunnels, DaemonLog log)
{
    /// <summary>How long the client has to send its descriptors after the first answer.</summary>
    public static readonly TimeSpan DescriptorTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The caller's variables a program may have: its terminal's kind and its locale, nothing a root tool would act on.</summary>
    public static bool IsPassedVariable(string name) =>
        name is "TERM" or "COLORTERM" or "LANG" or "LANGUAGE" or "TZ" or "NO_COLOR" or "COLUMNS" or "LINES"
        || (name.StartsWith("LC_", StringComparison.Ordinal) && name.Length <= 20 && name[3..].All(c => c is (>= 'A' and <= 'Z') or '_'));

    /// <summary>Runs the program; writes both answers on <paramref name="output"/>. Errors before the start are thrown.</summary>
    public async Task RunAsync(long id, ExecArgs args, PeerCredentials? peer, Socket? socket, Stream output, CancellationToken ct)
    {
        if (socket is null || peer is null)
            throw new PrivilegedException(ErrorCodes.NotImplemented,
                "exec needs the daemon's socket (descriptors cannot pass over a pipe); set privileged_transport = \"socket\"");
        var info = tunnels.ListRecorded().FirstOrDefault(i => i.Instance == args.Instance)
                   ?? throw new PrivilegedException(ErrorCodes.NotFound, $"no instance {args.Instance}; see tunmux status");
        if (!RequestHandler.MayManage(info, peer.Uid))
            throw new PrivilegedException(ErrorCodes.Unauthorized,
                $"instance {info.Instance} belongs to another user; only they or root may run a program in it");
        if (info.Mode != "proxy" || info.Namespace is not { Length: > 0 } ns)
            throw new PrivilegedException(ErrorCodes.InvalidArgument,
                $"{info.Instance} is a direct connection: every program already goes through it; exec runs a program inside a proxy exit");

        var caller = peer.Caller;
        var env = RunAsCaller.BaseEnvironment(caller);
        foreach (var (k, v) in args.Environment)
            if (IsPassedVariable(k)) env[k] = v;

        await WriteAsync(output, id, new ExecResult { Ready = true }, ct).ConfigureAwait(false);
        var fd = (int)socket.Handle;
        Pseudoterminal? pty = null;
        int[] streams = [];
        int pid;
        try
        {
            var request = new RunAsCaller.Request
            {
                Caller = caller,
                File = args.File,
                Arguments = args.Arguments,
                Environment = env,
                Namespace = ns,
            };
            if (args.Terminal is { } t)
            {
                pty = Pseudoterminal.Open(caller.Uid, Posix.LookupGroup("tty")?.Gid ?? caller.Gid, (ushort)t.Rows, (ushort)t.Columns);
                request = request with { Terminal = pty.SlavePath };
            }
            else
            {
                if (!socket.Poll(DescriptorTimeout, SelectMode.SelectRead))
                    throw new PrivilegedException(ErrorCodes.BadFrame, "exec: no descriptors came");
                var got = DescriptorPassing.Receive(fd, 3);
                if (got is not { Marker: (byte)'F' } g || g.Descriptors.Length != 3)
                {
                    foreach (var d in got?.Descriptors ?? []) Libc.Close(d);
                    throw new PrivilegedException(ErrorCodes.BadFrame, "exec: expected the caller's stdin, stdout and stderr");
                }
                streams = g.Descriptors;
                request = request with { Descriptors = new Dictionary<int, int> { [0] = streams[0], [1] = streams[1], [2] = streams[2] } };
            }
            pid = RunAsCaller.Start(request);
            if (pty is not null) DescriptorPassing.Send(fd, (byte)'T', [pty.Master]);
        }
        finally
        {
            // The program holds its own copies now; the daemon keeps none of the caller's streams or the terminal.
            foreach (var d in streams) Libc.Close(d);
            pty?.Dispose();
        }
        log.Info($"exec by uid {peer.Uid} (pid {peer.Pid}) in {info.Instance}: pid {pid} {args.File} ({args.Arguments.Count} arguments{(args.Terminal is null ? "" : ", terminal")})");

        var exited = RunAsCaller.WaitAsync(pid);
        // Nothing more is read from the client: a read that ends means it went away (or broke protocol).
        var gone = Task.Factory.StartNew(() => WaitForHangUp(socket), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (await Task.WhenAny(exited, gone).ConfigureAwait(false) != exited)
        {
            RunAsCaller.KillGroup(pid);
            var code = await exited.ConfigureAwait(false);
            log.Info($"exec pid {pid} in {info.Instance} ended with its client ({code})");
            return;
        }
        var exitCode = await exited.ConfigureAwait(false);
        await WriteAsync(output, id, new ExecResult { ExitCode = exitCode }, ct).ConfigureAwait(false);
    }

    private static void WaitForHangUp(Socket socket)
    {
        var buffer = new byte[64];
        try
        {
            while (socket.Receive(buffer) > 0) { }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private static Task WriteAsync(Stream output, long id, ExecResult result, CancellationToken ct)
    {
        var response = new Response { Id = id, Ok = true, Result = RequestHandler.ToElement(result) };
        return MessageFraming.WriteAsync(output, JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJson.Options), ct);
    }
}
