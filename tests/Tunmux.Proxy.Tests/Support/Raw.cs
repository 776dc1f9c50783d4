using System.Net;
using System.Net.Sockets;

namespace Tunmux.Proxy.Tests.Support;

/// <summary>Raw socket helpers for protocol tests.</summary>
public static class Raw
{
    public static async Task<Socket> ConnectAsync(int port, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(new IPEndPoint(address, port));
        return s;
    }

    public static Task SendAsync(Socket s, params byte[] data) => s.SendAsync(data, SocketFlags.None);

    /// <summary>Reads exactly n bytes; throws on end of stream; bounded by 5 s unless told otherwise.</summary>
    public static async Task<byte[]> ReadExactAsync(Socket s, int n, TimeSpan? timeout = null)
    {
        var buf = new byte[n];
        var got = 0;
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        while (got < n)
        {
            var r = await s.ReceiveAsync(buf.AsMemory(got), SocketFlags.None, cts.Token);
            if (r == 0) throw new EndOfStreamException($"closed after {got} of {n} bytes");
            got += r;
        }
        return buf;
    }

    /// <summary>Reads until the peer closes (bounded); returns everything read.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket s, TimeSpan? timeout = null)
    {
        using var ms = new MemoryStream();
        var buf = new byte[65536];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        try
        {
            int r;
            while ((r = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token)) > 0) ms.Write(buf, 0, r);
        }
        catch (SocketException) { }
        return ms.ToArray();
    }

    /// <summary>Completes a no-auth SOCKS5 CONNECT to an IPv4 endpoint and returns the reply (each read bounded by <paramref name="timeout"/>, else 5 s).</summary>
    public static async Task<byte[]> SocksConnectAsync(Socket s, IPEndPoint target, TimeSpan? timeout = null)
    {
        await SendAsync(s, 5, 1, 0);
        var method = await ReadExactAsync(s, 2, timeout);
        if (method[1] != 0) throw new InvalidOperationException("method refused");
        var v6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        var req = new List<byte> { 5, 1, 0, (byte)(v6 ? 4 : 1) };
        req.AddRange(target.Address.GetAddressBytes());
        req.Add((byte)(target.Port >> 8));
        req.Add((byte)target.Port);
        await s.SendAsync(req.ToArray(), SocketFlags.None);
        var head = await ReadExactAsync(s, 4, timeout);
        var rest = await ReadExactAsync(s, (head[3] == 4 ? 16 : 4) + 2, timeout);
        return [.. head, .. rest];
    }

    public static byte[] DomainRequest(byte cmd, string host, int port)
    {
        var req = new List<byte> { 5, cmd, 0, 3, (byte)host.Length };
        req.AddRange(System.Text.Encoding.ASCII.GetBytes(host));
        req.Add((byte)(port >> 8));
        req.Add((byte)port);
        return [.. req];
    }

    public static int ClosedPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
