using System.Buffers;
using System.Net.Sockets;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// Copies bytes both ways between client and upstream until both sides finished. An end of
/// stream on one side is passed on as a half-close (shutdown of sending) to the other.
/// <para>
/// Each direction starts buffered: it waits for readability with a zero-byte receive and holds
/// a pooled buffer only while data flows, so an idle or chatty relay costs no buffer and no
/// pipe. When a read fills the whole buffer the direction carries bulk data, and it switches to
/// <c>splice(2)</c> through a pipe of its own (no copy to user space); where splice is refused
/// (or no pipe can be made) it stays buffered.
/// </para>
/// </summary>
internal static class Relay
{
    public const int BufferSize = 128 * 1024;

    /// <summary>Off: every relay stays buffered (tests of the fallback; systems without splice).</summary>
    internal static bool SpliceEnabled { get; set; } =
        OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("TUNMUX_PROXY_NO_SPLICE") is null;

    private static long _splicedDirections;

    /// <summary>Directions that moved bytes with splice since the process started (tests and diagnostics).</summary>
    internal static long SplicedDirections => Interlocked.Read(ref _splicedDirections);

    public static async Task RunAsync(ClientConnection c, Socket client, Socket upstream)
    {
        c.Phase = ConnectionPhase.Relay;
        c.Touch();
        var up = PumpAsync(c, client, upstream, toUpstream: true);
        var down = PumpAsync(c, upstream, client, toUpstream: false);
        await up.ConfigureAwait(false);
        await down.ConfigureAwait(false);
    }

    private static async Task PumpAsync(ClientConnection c, Socket from, Socket to, bool toUpstream)
    {
        byte[]? buffer = null;
        var mayUseSplice = SpliceEnabled;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }
                var n = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    // Half-close: the peer finished sending; tell the other side, keep the reverse direction.
                    ShutdownSend(to);
                    return;
                }
                Count(c, toUpstream, n);
                await SendAllAsync(to, buffer.AsMemory(0, n)).ConfigureAwait(false);
                if (n < buffer.Length)
                {
                    // A short read: give the buffer back and wait for data without one.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
                else if (mayUseSplice)
                {
                    // A full read: bulk data. Move the rest of this direction in the kernel.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                    if (await SpliceAsync(c, from, to, toUpstream).ConfigureAwait(false)) return;
                    mayUseSplice = false; // refused: stay buffered for good
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // A reset or an abort ends both directions.
            if (c.AbortReason is null && e is SocketException se) c.Outcome = "reset:" + se.SocketErrorCode;
            c.Abort("error");
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Relays <paramref name="from"/> to <paramref name="to"/> with splice until end of stream (true),
    /// or returns false, having moved nothing, when splice is not possible here.
    /// </summary>
    private static async Task<bool> SpliceAsync(ClientConnection c, Socket from, Socket to, bool toUpstream)
    {
        using var pipe = SplicePipe.TryCreate();
        if (pipe is null) return false;
        var movedAny = false;
        var mayBeQueued = true; // we come here after a full read
        while (true)
        {
            if (!mayBeQueued)
            {
                // The last splice took less than the pipe holds, so the socket is drained: wait for
                // readability without a buffer (this saves a splice that would only say EAGAIN).
                await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
            }
            var n = Fill(pipe, from);
            if (n == 0)
            {
                ShutdownSend(to);
                return true;
            }
            if (n == -SplicePipe.EAGAIN)
            {
                mayBeQueued = false;
                continue;
            }
            if (n < 0)
            {
                if (!movedAny && n is -SplicePipe.EINVAL or -SplicePipe.ENOSYS or -SplicePipe.EOPNOTSUPP) return false;
                throw new SocketException((int)-n);
            }
            if (!movedAny) Interlocked.Increment(ref _splicedDirections);
            movedAny = true;
            Count(c, toUpstream, n);
            mayBeQueued = n >= pipe.Capacity;
            await DrainAsync(pipe, to, (int)n).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Bytes taken out of the pipe through memory when the destination is full: an ordinary
    /// asynchronous send of them is the wait for room (without spinning); once it completes the
    /// socket has room again and the rest goes back to splice. Small, so little is copied.
    /// </summary>
    private const int WaitForRoomChunk = 4096;

    /// <summary>Empties the pipe into <paramref name="to"/>.</summary>
    private static async ValueTask DrainAsync(SplicePipe pipe, Socket to, int count)
    {
        while (count > 0)
        {
            var m = Drain(pipe, to, count);
            if (m > 0) { count -= (int)m; continue; }
            if (m != -SplicePipe.EAGAIN) throw new SocketException(m == 0 ? (int)SocketError.ConnectionReset : (int)-m);
            var chunk = Math.Min(count, WaitForRoomChunk);
            var buffer = ArrayPool<byte>.Shared.Rent(chunk);
            try
            {
                var r = pipe.ReadInto(buffer.AsSpan(0, chunk));
                if (r <= 0) throw new IOException("relay pipe read failed: " + (-r));
                await SendAllAsync(to, buffer.AsMemory(0, (int)r)).ConfigureAwait(false);
                count -= (int)r;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static long Fill(SplicePipe pipe, Socket from)
    {
        var handle = from.SafeHandle;
        var added = false;
        try
        {
            // Holds a reference, so a concurrent abort cannot close the descriptor under the call;
            // throws ObjectDisposedException once it is closed.
            handle.DangerousAddRef(ref added);
            return pipe.FillFrom((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static long Drain(SplicePipe pipe, Socket to, int count)
    {
        var handle = to.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return pipe.DrainTo((int)handle.DangerousGetHandle(), count);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static void Count(ClientConnection c, bool toUpstream, long n)
    {
        c.LastActivity = Environment.TickCount64;
        if (toUpstream) c.BytesUp += n; else c.BytesDown += n;
    }

    private static void ShutdownSend(Socket to)
    {
        try { to.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { }
    }

    public static async ValueTask SendAllAsync(Socket to, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (data.Length > 0)
        {
            var sent = await to.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
