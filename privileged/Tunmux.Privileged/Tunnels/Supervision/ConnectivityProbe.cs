using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// The supervisor's check that a tunnel carries traffic: one small DNS query (the root's NS record, 17 bytes)
/// to the tunnel's own DNS server, sent from inside the exit, so it can only travel through the tunnel. Any
/// answer with the query's id proves the round trip, whatever its content (a refusal included). Idle
/// exits send one every <see cref="SupervisionSettings.IdleProbe"/>; that is the whole cost.
/// </summary>
internal sealed class ConnectivityProbe(string? ns) : IDisposable
{
    private Socket? _socket;
    private IPEndPoint? _target;

    /// <summary>The DNS port: 53, but for tests.</summary>
    internal int Port { get; init; } = 53;

    /// <summary>True when answered within the timeout, false when not; null when there is no server to ask.</summary>
    public async Task<bool?> ProbeAsync(IPAddress? dnsServer, TimeSpan timeout, CancellationToken ct)
    {
        if (dnsServer is null) return null;
        // A socket made before a failover keeps the source address it was connected with, which the interface may
        // no longer have: a send that fails at once is tried again from a fresh socket.
        if (await ProbeOnceAsync(dnsServer, timeout, ct).ConfigureAwait(false) is { } answered) return answered;
        return await ProbeOnceAsync(dnsServer, timeout, ct).ConfigureAwait(false) ?? false;
    }

    /// <summary>Answered or not; null when the socket itself failed (and was dropped).</summary>
    private async Task<bool?> ProbeOnceAsync(IPAddress dnsServer, TimeSpan timeout, CancellationToken ct)
    {
        var target = new IPEndPoint(dnsServer, Port);
        try
        {
            var socket = SocketFor(target);
            var id = (ushort)RandomNumberGenerator.GetInt32(0, 65536);
            await socket.SendAsync(Query(id), SocketFlags.None, ct).ConfigureAwait(false);
            var buffer = new byte[512];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            while (true)
            {
                // A late answer to an earlier probe carries another id: read on.
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (n >= 12 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id && (buffer[2] & 0x80) != 0) return true;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // Unreachable, or a source address that is gone: a fresh socket for the next try.
            Reset();
            return null;
        }
    }

    /// <summary>A DNS query for <c>. IN NS</c> with recursion desired.</summary>
    internal static byte[] Query(ushort id)
    {
        var q = new byte[17];
        BinaryPrimitives.WriteUInt16BigEndian(q, id);
        q[2] = 0x01;                                  // RD
        q[5] = 1;                                     // QDCOUNT = 1
        q[12] = 0;                                    // the root name
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(13), 2);  // QTYPE NS
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(15), 1);  // QCLASS IN
        return q;
    }

    private Socket SocketFor(IPEndPoint target)
    {
        if (_socket is not null && target.Equals(_target)) return _socket;
        Reset();
        var socket = NamespaceSockets.Create(ns, target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Connected: only the server's answers reach this socket.
            socket.Connect(target);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        _target = target;
        return socket;
    }

    /// <summary>Drops the socket (after the exit's addresses changed); the next probe makes a new one.</summary>
    public void Reset()
    {
        _socket?.Dispose();
        _socket = null;
        _target = null;
    }

    public void Dispose() => Reset();
}
