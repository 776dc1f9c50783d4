using System.Buffers;
using System.Net.Sockets;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// Copies bytes both ways between client and upstream until both sides finished. An end of
/// stream on one side is passed on as a half-close (shutdown of sending) to the other.
/// A direction holds a pooled buffer only while data flows: it waits for readability with a
/// zero-byte receive, so an idle relay costs no buffer memory.
/// </summary>
internal static class Relay
{
    public const int BufferSize = 128 * 1024;

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
                    try { to.Shutdown(SocketShutdown.Send); } catch (SocketException) { }
                    return;
                }
                c.LastActivity = Environment.TickCount64;
                if (toUpstream) c.BytesUp += n; else c.BytesDown += n;
                await SendAllAsync(to, buffer.AsMemory(0, n)).ConfigureAwait(false);
                // A full read says more is probably queued: keep the buffer for the next read.
                // Otherwise give it back and wait for data without one (no system call to ask).
                if (n < buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
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

    public static async ValueTask SendAllAsync(Socket to, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (data.Length > 0)
        {
            var sent = await to.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
