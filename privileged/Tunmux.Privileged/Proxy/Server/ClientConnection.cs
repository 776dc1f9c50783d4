using System.Net;
using System.Net.Sockets;

namespace Tunmux.Privileged.Proxy.Server;

internal enum ConnectionPhase { Handshake, Relay, Closed }

/// <summary>
/// One accepted client and, once connected, its outbound socket. Holds what the timeout sweeper
/// and the access log need; the handlers update it without locks (one writer per field).
/// </summary>
internal sealed class ClientConnection(Socket client, string protocol, bool recordPeer)
{
    private int _aborted;

    public Socket Client { get; } = client;
    public Socket? Upstream { get; set; }
    public string Protocol { get; } = protocol;

    /// <summary>Who owns the client's socket, as the kernel said at accept (null when not asked).</summary>
    public uint? ClientUid { get; init; }
    /// <summary>The client's address: asked of the kernel only when the access log or UDP ASSOCIATE needs it.</summary>
    public EndPoint? ClientEndPoint => _peer ??= SafeRemote(Client);

    private EndPoint? _peer = recordPeer ? SafeRemote(client) : null;
    public long StartedTicks { get; } = Environment.TickCount64;
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public volatile ConnectionPhase Phase;

    /// <summary>Tick count of the last byte relayed either way.</summary>
    public long LastActivity = Environment.TickCount64;

    /// <summary>What the client asked for, as logged; an address target is formatted only when read.</summary>
    public string Target
    {
        get => _target ??= TargetEndPoint?.ToString() ?? "-";
        set => _target = value;
    }

    private string? _target;

    /// <summary>The requested address when the client gave a literal one (SOCKS5 IPv4/IPv6).</summary>
    public IPEndPoint? TargetEndPoint { get; set; }
    public long BytesUp;
    public long BytesDown;
    public int Requests;
    public string Outcome { get; set; } = "ok";

    /// <summary>Why the sweeper closed it, when it did.</summary>
    public string? AbortReason { get; private set; }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public void Touch() => LastActivity = Environment.TickCount64;

    /// <summary>Closes both sockets so every pending operation on them ends; first reason wins.</summary>
    public void Abort(string reason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
        AbortReason = reason;
        Client.Dispose();
        Upstream?.Dispose();
    }

    public void Close()
    {
        Phase = ConnectionPhase.Closed;
        Client.Dispose();
        Upstream?.Dispose();
    }

    private static EndPoint? SafeRemote(Socket s)
    {
        try { return s.RemoteEndPoint; }
        catch (SocketException) { return null; }
        catch (ObjectDisposedException) { return null; }
    }
}
