using System.Net;
using System.Net.Sockets;

namespace Tunmux.Host.State;

/// <summary>
/// The one port allocator: SOCKS5 from 1080 and HTTP from 8118 in step (1080/8118, 1081/8119, ...),
/// skipping pairs held by other instances or bound by any process on loopback.
/// </summary>
public sealed class PortAllocator(Func<int, bool>? isBound = null)
{
    public const int FirstSocks = 1080;
    public const int FirstHttp = 8118;
    private const int MaxPairs = 1000;

    private readonly Func<int, bool> _isBound = isBound ?? IsBoundOnLoopback;

    public (int Socks, int Http) Assign(IReadOnlyList<ConnectionState> existing, int? socks, int? http) =>
        AssignAvoiding(existing.SelectMany(s => new[] { s.SocksPort, s.HttpPort }), socks, http);

    /// <param name="heldPorts">Ports of other instances (null entries are ignored).</param>
    public (int Socks, int Http) AssignAvoiding(IEnumerable<int?> heldPorts, int? socks, int? http)
    {
        var held = heldPorts.OfType<int>().ToHashSet();

        if (socks is { } sp) Check(sp, "--socks-port", held);
        if (http is { } hp) Check(hp, "--http-port", held);
        if (socks is not null && socks == http)
            throw new UsageException($"--socks-port and --http-port are both {socks}; give two different ports");
        if (socks is { } s1 && http is { } h1) return (s1, h1);

        for (var i = 0; i < MaxPairs; i++)
        {
            var s = socks ?? FirstSocks + i;
            var h = http ?? FirstHttp + i;
            if (s == h) continue;
            if (socks is null && (held.Contains(s) || _isBound(s))) continue;
            if (http is null && (held.Contains(h) || _isBound(h))) continue;
            return (s, h);
        }
        throw new InvalidOperationException($"no free proxy ports from {FirstSocks}/{FirstHttp} on; free some or pass --socks-port and --http-port");
    }

    private void Check(int port, string flag, HashSet<int> held)
    {
        if (port is < 1 or > 65535)
            throw new UsageException($"{flag} {port} is out of range; use a port from 1 to 65535");
        if (held.Contains(port))
            throw new InvalidOperationException($"{flag} {port} is already used by another tunmux instance; choose another port or omit the flag");
        if (_isBound(port))
            throw new InvalidOperationException($"{flag} {port} is in use by another process on 127.0.0.1; choose another port or omit the flag");
    }

    /// <summary>True when something already listens on the port on 127.0.0.1 or ::1.</summary>
    public static bool IsBoundOnLoopback(int port) => InUse(IPAddress.Loopback, port) || InUse(IPAddress.IPv6Loopback, port);

    private static bool InUse(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return false;
        }
        catch (SocketException e)
        {
            // Only "in use" means taken: a low port refused to a normal user is still free for the root daemon,
            // and a host without IPv6 loopback has nothing bound there.
            return e.SocketErrorCode == SocketError.AddressAlreadyInUse;
        }
    }
}
