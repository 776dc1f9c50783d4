using System.Net;
using System.Net.Sockets;

namespace Tunmux.Proxy.Tests.Support;

/// <summary>A TCP echo server that passes a half-close back (it closes after echoing everything).</summary>
public sealed class TcpEcho : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();

    public TcpEcho(IPAddress address) : this(Listen(address, 0)) { }

    /// <summary>Serves on a socket that already listens (for instance one made inside another namespace).</summary>
    public TcpEcho(Socket listener)
    {
        _listener = listener;
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _ = Task.Run(AcceptLoop);
    }

    public IPEndPoint EndPoint { get; }

    public static Socket Listen(IPAddress address, int port)
    {
        var l = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(address, port));
        l.Listen(4096);
        return l;
    }

    private async Task AcceptLoop()
    {
        try
        {
            while (true)
            {
                var s = await _listener.AcceptAsync(_cts.Token);
                _ = Task.Run(async () =>
                {
                    using (s)
                    {
                        var buf = new byte[65536];
                        try
                        {
                            int n;
                            while ((n = await s.ReceiveAsync(buf, SocketFlags.None)) > 0)
                                await s.SendAsync(buf.AsMemory(0, n), SocketFlags.None);
                            s.Shutdown(SocketShutdown.Send);
                        }
                        catch (SocketException) { }
                    }
                });
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Dispose();
    }
}

/// <summary>A UDP echo server.</summary>
public sealed class UdpEcho : IDisposable
{
    private readonly Socket _socket;

    public UdpEcho(IPAddress address) : this(Bind(address, 0)) { }

    /// <summary>Serves on a bound socket (for instance one made inside another namespace).</summary>
    public UdpEcho(Socket socket)
    {
        _socket = socket;
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _ = Task.Run(Loop);
    }

    public IPEndPoint EndPoint { get; }

    private async Task Loop()
    {
        var buf = new byte[65536];
        try
        {
            while (true)
            {
                var r = await _socket.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
                await _socket.SendToAsync(buf.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint);
            }
        }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    public static Socket Bind(IPAddress address, int port)
    {
        var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(address, port));
        return s;
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>A tiny HTTP/1.1 server answering every request with a fixed body, then closing.</summary>
public sealed class FixedHttp : IDisposable
{
    private readonly Socket _listener;

    /// <summary>Addresses of the clients seen.</summary>
    public System.Collections.Concurrent.ConcurrentBag<IPAddress> Peers { get; } = [];

    public FixedHttp(Socket listener, string body)
    {
        _listener = listener;
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        var response = System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n").Concat(bytes).ToArray();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var s = await _listener.AcceptAsync();
                    Peers.Add(((IPEndPoint)s.RemoteEndPoint!).Address);
                    _ = Task.Run(async () =>
                    {
                        using (s)
                        {
                            var buf = new byte[8192];
                            var seen = 0;
                            try
                            {
                                while (true)
                                {
                                    var n = await s.ReceiveAsync(buf.AsMemory(seen), SocketFlags.None);
                                    if (n == 0) return;
                                    seen += n;
                                    if (buf.AsSpan(0, seen).IndexOf("\r\n\r\n"u8) >= 0 || seen == buf.Length) break;
                                }
                                await s.SendAsync(response, SocketFlags.None);
                                s.Shutdown(SocketShutdown.Send);
                                await s.ReceiveAsync(buf, SocketFlags.None);
                            }
                            catch (SocketException) { }
                        }
                    });
                }
            }
            catch (ObjectDisposedException) { }
            catch (SocketException) { }
        });
    }

    public void Dispose() => _listener.Dispose();
}
