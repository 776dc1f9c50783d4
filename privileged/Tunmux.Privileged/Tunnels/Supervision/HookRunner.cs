using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Proxy.Launch;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>The events an exit's hooks run on, as <c>TUNMUX_EVENT</c> tells them.</summary>
internal static class HookEvents
{
    public const string Up = "up";
    public const string Down = "down";
    public const string Failover = "failover";
}

/// <summary>One run of a hook: which (<c>ifup</c>/<c>ifdown</c>), the shell command, whose, with what variables.</summary>
internal sealed record HookInvocation(
    string Hook, string Event, string Command, CallerIdentity Caller, IReadOnlyDictionary<string, string> Variables, TimeSpan Timeout);

/// <summary>How a hook ended.</summary>
public sealed record HookOutcome(string Hook, string Event, int? ExitCode, bool TimedOut, string? LastLine)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>One line for a warning: <c>ifup hook failed (exit 3): no pool server</c>.</summary>
    public override string ToString() =>
        Succeeded ? $"{Hook} hook succeeded"
        : $"{Hook} hook {(TimedOut ? "timed out and was ended" : ExitCode is { } c ? $"failed (exit {c})" : "could not start")}"
          + (string.IsNullOrWhiteSpace(LastLine) ? "" : ": " + LastLine.Trim());
}

/// <summary>
/// Runs an exit's <c>ifup</c>/<c>ifdown</c> command through <c>/bin/sh -c</c> as the user who connected the exit
/// (<see cref="RunAsCaller"/>), with a timeout after which its whole process group is ended. What it prints, on
/// stdout and stderr, goes to the exit's log (at most <see cref="MaxLoggedBytes"/> per run); its last line is
/// kept for the warning a failed hook produces.
/// </summary>
internal sealed class HookRunner
{
    public const int MaxLoggedBytes = 64 << 10;

    public async Task<HookOutcome> RunAsync(HookInvocation hook, ExitLog log, CancellationToken ct)
    {
        var env = RunAsCaller.BaseEnvironment(hook.Caller);
        foreach (var (k, v) in hook.Variables) env[k] = v;
        log.Write($"{hook.Hook} hook ({hook.Event}) starting as {hook.Caller}");

        var (mine, theirs) = SocketPair();
        int pid;
        try
        {
            pid = RunAsCaller.Start(new RunAsCaller.Request
            {
                Caller = hook.Caller,
                File = SystemPaths.Require("sh", "dash"),
                Arguments = ["-c", hook.Command],
                Environment = env,
                Descriptors = new Dictionary<int, int> { [1] = theirs, [2] = theirs },
            });
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            mine.Dispose();
            Libc.Close(theirs);
            log.Write($"{hook.Hook} hook could not start: {e.Message}");
            return new HookOutcome(hook.Hook, hook.Event, null, false, e.Message);
        }
        Libc.Close(theirs);

        var clock = Stopwatch.StartNew();
        using var output = mine;
        var exit = RunAsCaller.WaitAsync(pid);
        var reading = CopyOutputAsync(output, hook.Hook, log);
        var timedOut = false;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(hook.Timeout);
            try { await exit.WaitAsync(timeout.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                timedOut = true;
                RunAsCaller.KillGroup(pid);
            }
        }
        var code = await exit.ConfigureAwait(false);
        // A program that left the group (its own session) may still hold the socket: do not wait for it long.
        string? last;
        try { last = await reading.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false); }
        catch (TimeoutException) { last = null; }
        output.Dispose();

        var outcome = new HookOutcome(hook.Hook, hook.Event, code, timedOut, last);
        log.Write(timedOut
            ? $"{hook.Hook} hook ({hook.Event}) timed out after {hook.Timeout.TotalSeconds:0.#} s; its process group was ended"
            : $"{hook.Hook} hook ({hook.Event}) exited with {code} after {clock.Elapsed.TotalSeconds:0.##} s");
        return outcome;
    }

    /// <summary>Copies the hook's output to the log line by line; returns its last non-empty line.</summary>
    private static async Task<string?> CopyOutputAsync(Socket output, string hook, ExitLog log)
    {
        var buffer = new byte[4096];
        var pending = new StringBuilder();
        string? last = null;
        long total = 0;
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[buffer.Length];
        void Flush(bool all)
        {
            var text = pending.ToString();
            var cut = all ? text.Length : text.LastIndexOf('\n') + 1;
            if (cut <= 0) return;
            foreach (var line in text[..cut].Split('\n'))
            {
                if (line.Trim().Length == 0) continue;
                log.Write($"{hook}: {line}");
                last = line;
            }
            pending.Remove(0, cut);
        }
        try
        {
            while (true)
            {
                var n = await output.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                total += n;
                if (total > MaxLoggedBytes) continue;   // keep draining, so the hook never blocks on a full socket
                var count = decoder.GetChars(buffer, 0, n, chars, 0);
                pending.Append(chars, 0, count);
                // A line longer than the buffer is logged in pieces rather than held without bound.
                Flush(all: pending.Length > 8192);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        Flush(all: true);
        if (total > MaxLoggedBytes) log.Write($"{hook}: ... {total - MaxLoggedBytes} more bytes of output not logged");
        return last;
    }

    /// <summary>A connected pair of Unix stream sockets: ours as a <see cref="Socket"/>, the child's as a raw descriptor.</summary>
    private static unsafe (Socket Mine, int Theirs) SocketPair()
    {
        var fds = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, fds) != 0)
            throw new IOException($"socketpair failed (errno {Libc.LastError})");
        var mine = new Socket(new SafeSocketHandle(fds[0], ownsHandle: true));
        // The hook only writes; our end never sends.
        mine.Shutdown(SocketShutdown.Send);
        return (mine, fds[1]);
    }
}
