using System.Net;
using System.Net.Sockets;

namespace Tunmux.Privileged.Proxy.Launch;

/// <summary>
/// The proxy's sockets on the host's loopback, made by the launcher in the daemon's (host)
/// namespace and handed to the proxy process: TCP listeners for SOCKS5 and HTTP, and UDP
/// sockets at the SOCKS port for UDP ASSOCIATE. 127.0.0.1 always; ::1 when the host has it.
/// Never a wildcard address.
/// </summary>
internal sealed class HostListeners : IDisposable
{
    private const int Backlog = 4096;

    public List<Socket> Socks { get; } = [];
    public List<Socket> SocksUdp { get; } = [];
    public List<Socket> Http { get; } = [];

    public static HostListeners Create(int socksPort, int httpPort)
    {
        var l = new HostListeners();
        try
        {
            foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
            {
                var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
                if (v6 && !HasIPv6Loopback()) continue;
                l.Socks.Add(Tcp(address, socksPort, "SOCKS"));
                l.SocksUdp.Add(Udp(address, socksPort));
                l.Http.Add(Tcp(address, httpPort, "HTTP"));
            }
            return l;
        }
        catch
        {
            l.Dispose();
            throw;
        }
    }

    private static bool HasIPv6Loopback()
    {
        if (!Socket.OSSupportsIPv6) return false;
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static Socket Tcp(IPAddress address, int port, string what)
    {
        var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = false;
            // Lets a restarted proxy bind while old connections sit in TIME_WAIT; Linux still refuses a second listener.
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(new IPEndPoint(address, port));
            s.Listen(Backlog);
            return s;
        }
        catch (SocketException e)
        {
            s.Dispose();
            throw InUse(e, what, address, port);
        }
    }

    private static Socket Udp(IPAddress address, int port)
    {
        var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = false;
            s.Bind(new IPEndPoint(address, port));
            return s;
        }
        catch (SocketException e)
        {
            s.Dispose();
            throw InUse(e, "SOCKS UDP", address, port);
        }
    }

    private static InvalidOperationException InUse(SocketException e, string what, IPAddress address, int port) =>
        e.SocketErrorCode == SocketError.AddressAlreadyInUse
            ? new InvalidOperationException($"{what} port {port} on {address} is already in use; choose another port or stop what uses it")
            : new InvalidOperationException($"cannot listen for {what} on {address} port {port}: {e.Message}");

    public IEnumerable<Socket> All => Socks.Concat(SocksUdp).Concat(Http);

    public void Dispose()
    {
        foreach (var s in All) s.Dispose();
    }
}
