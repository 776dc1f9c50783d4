using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Exec;

/// <summary>
/// The client's side of <c>exec</c> on a root-mode exit (the exchange is described on <see cref="ExecArgs"/>): one
/// connection of its own to the daemon's socket, kept open for as long as the program runs (closing it, by Ctrl-C or
/// by this process dying, ends the program). At a terminal (stdin and stdout both one) the program gets a terminal of
/// its own, relayed to the caller's in raw mode, so Ctrl-C, Ctrl-Z and window size reach it through its terminal
/// driver; otherwise the caller's own stdin, stdout and stderr are handed over and nothing passes through this
/// process. The caller's working folder goes along as an open descriptor.
/// </summary>
internal static partial class DaemonExec
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The caller's variables sent along: those the daemon accepts (terminal, locale, time zone).</summary>
    private static Dictionary<string, string> PassedEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v && ExecEnvironment.IsPassed(k, v)) env[k] = v;
        return env;
    }

    public static async Task<int> RunAsync(string instance, string file, IReadOnlyList<string> arguments, GeneralConfig general, CancellationToken ct)
    {
        var options = DaemonAccess.Options(general);
        if (options.Transport != "socket")
            throw new InvalidOperationException(
                "exec into a root-mode exit needs the daemon's socket (descriptors cannot pass over a pipe); set privileged_transport = \"socket\" in config.toml");
        // A connection through the usual path first: it starts the daemon when needed and holds it for this command.
        await using var daemon = await DaemonAccess.ConnectAsync(general, ct);

        var terminal = TerminalRelay.IsTerminal(0) && TerminalRelay.IsTerminal(1);
        var (rows, columns) = terminal ? TerminalRelay.WindowSize(1) : ((ushort)0, (ushort)0);
        var folder = OpenWorkingFolder();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        TerminalRelay? relay = null;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(options.Paths.SocketPath), ct);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var args = new ExecArgs
            {
                Instance = instance,
                File = file,
                Arguments = arguments,
                Environment = PassedEnvironment(),
                Terminal = terminal ? new ExecTerminal { Rows = rows, Columns = columns } : null,
            };
            var request = new Request { Id = 1, Op = Ops.Exec, Args = JsonSerializer.SerializeToElement(args, ProtocolJson.Options) };
            await MessageFraming.WriteAsync(stream, JsonSerializer.SerializeToUtf8Bytes(request, ProtocolJson.Options), ct);
            var ready = await ReadResultAsync(stream, ct);
            if (ready.Ready != true) throw new PrivilegedException(ErrorCodes.BadFrame, "the daemon did not start the program");

            var fd = (int)socket.Handle;
            if (terminal)
            {
                DescriptorPassing.Send(fd, (byte)'T', [folder]);
                if (!socket.Poll(AnswerTimeout, SelectMode.SelectRead)) throw new PrivilegedException(ErrorCodes.Failed, "the daemon sent no terminal");
                var got = DescriptorPassing.Receive(fd, 1);
                if (got is not { Marker: (byte)'T' } g || g.Descriptors.Length != 1)
                {
                    // The daemon could not start the program after all: its answer says why.
                    await ReadResultAsync(stream, ct);
                    throw new PrivilegedException(ErrorCodes.BadFrame, "the daemon sent no terminal");
                }
                relay = new TerminalRelay(g.Descriptors[0], 0, 1);
                relay.Start(1);
            }
            else
            {
                DescriptorPassing.Send(fd, (byte)'F', [0, 1, 2, folder]);
            }
            CloseFolder(ref folder);
            var done = await ReadResultAsync(stream, ct);
            // What the program wrote last is still in its terminal: let it through before the terminal is restored.
            relay?.WaitForOutput(TimeSpan.FromSeconds(2));
            return done.ExitCode ?? throw new PrivilegedException(ErrorCodes.BadFrame, "the daemon sent no exit status");
        }
        finally
        {
            relay?.Dispose();
            CloseFolder(ref folder);
        }
    }

    private static async Task<ExecResult> ReadResultAsync(Stream stream, CancellationToken ct)
    {
        using var frame = await MessageFraming.ReadAsync(stream, ct)
                          ?? throw new PrivilegedException(ErrorCodes.Failed, "the tunmux daemon closed the connection (it may have stopped)");
        var response = JsonSerializer.Deserialize<Response>(frame.Payload.Span, ProtocolJson.Options)
                       ?? throw new PrivilegedException(ErrorCodes.BadFrame, "empty answer from the daemon");
        if (!response.Ok)
            throw new PrivilegedException(response.Error?.Code ?? ErrorCodes.Failed, response.Error?.Message ?? "exec failed");
        return response.Result is { } r
            ? r.Deserialize<ExecResult>(ProtocolJson.Options) ?? new ExecResult()
            : new ExecResult();
    }

    private const int OPath = 0x200000, ODirectory = 0x10000, OCloexec = 0x80000;

    /// <summary>The working folder as a descriptor that names it without opening its contents (as the program will start there).</summary>
    private static int OpenWorkingFolder()
    {
        var fd = Open(".", OPath | ODirectory | OCloexec);
        return fd >= 0
            ? fd
            : throw new InvalidOperationException(
                $"cannot use the current folder for the program: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}; change to a folder that exists");
    }

    private static void CloseFolder(ref int fd)
    {
        if (fd >= 0) Close(fd);
        fd = -1;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
