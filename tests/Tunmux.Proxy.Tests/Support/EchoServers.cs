using System.Net;
using System.Net.Sockets;

namespace Tunmux.Proxy.Tests.Support;

/// <summary>A TCP echo server that passes a half-close back (it closes after echoing everything).</summary>
public sealed class TcpEcho : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();

    public TcpEcho(IPAddress address)
    {
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, 0));
        _listener.Listen(1024);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _ = Task.Run(AcceptLoop);
    }

    public IPEndPoint EndPoint { get; }

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

    public UdpEcho(IPAddress address)
    {
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(address, 0));
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

    public void Dispose() => _socket.Dispose();
}
