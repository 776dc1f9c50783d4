using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// UDP ASSOCIATE. The client side of the relay is one UDP socket per loopback address, bound at
/// the SOCKS port by the launcher in the host namespace (this process cannot make host-side
/// sockets); datagrams are told apart by their source address. Each association sends and
/// receives through its own UDP socket, made here and so inside the VPN namespace.
/// </summary>
internal sealed class Socks5UdpRelay(ProxyServer server)
{
    private readonly ConcurrentDictionary<IPEndPoint, Association> _byClient = new();
    private readonly List<Association> _pending = [];

    private ProxyServer Server => server;

    public void Start(CancellationToken stopping)
    {
        foreach (var socket in server.Options.SocksUdpSockets)
            _ = Task.Run(() => ClientLoopAsync(socket, stopping), stopping);
    }

    public async Task AssociateAsync(ClientConnection c, SocketReader control, string host, int port)
    {
        var clientAddress = (c.ClientEndPoint as IPEndPoint)?.Address ?? IPAddress.Loopback;
        var hostSide = PickHostSocket(clientAddress.AddressFamily);
        if (hostSide is null)
        {
            await Socks5Handler.ReplyAsync(c.Client, Socks5Handler.Reply.GeneralFailure, null);
            c.Outcome = "udp-unavailable";
            return;
        }
        // The request names the address the client will send from; 0.0.0.0:0 means "not known yet".
        IPAddress.TryParse(host, out var declared);
        var association = new Association(this, c, hostSide, clientAddress,
            declared is not null && !declared.Equals(IPAddress.Any) && !declared.Equals(IPAddress.IPv6Any) ? declared : null, port);
        lock (_pending) _pending.Add(association);
        try
        {
            c.Phase = ConnectionPhase.Relay;
            c.Touch();
            await Socks5Handler.ReplyAsync(c.Client, Socks5Handler.Reply.Succeeded, hostSide.LocalEndPoint as IPEndPoint);
            // The association lives as long as its TCP connection (RFC 1928 section 7).
            while (await control.ReadMoreAsync()) control.Consume(control.Buffered);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        finally
        {
            lock (_pending) _pending.Remove(association);
            if (association.ClientEndPoint is { } ep) _byClient.TryRemove(ep, out _);
            association.Dispose();
        }
    }

    private Socket? PickHostSocket(AddressFamily family) =>
        server.Options.SocksUdpSockets.FirstOrDefault(s => s.AddressFamily == family)
        ?? server.Options.SocksUdpSockets.FirstOrDefault();

    private Association? Find(IPEndPoint from)
    {
        if (_byClient.TryGetValue(from, out var known)) return known;
        lock (_pending)
        {
            for (var i = _pending.Count - 1; i >= 0; i--)
            {
                var a = _pending[i];
                if (a.ClientEndPoint is not null || !a.ClientAddress.Equals(from.Address)) continue;
                if (a.DeclaredPort != 0 && a.DeclaredPort != from.Port) continue;
                if (a.DeclaredAddress is not null && !a.DeclaredAddress.Equals(from.Address)) continue;
                // Every local client is 127.0.0.1: the first datagram binds the association only when the socket
                // it came from belongs to the same uid as the control connection (and never without asking).
                if (!SameOwner(a, from)) continue;
                a.ClientEndPoint = from;
                _byClient[from] = a;
                return a;
            }
        }
        return null;
    }

    private bool SameOwner(Association a, IPEndPoint from)
    {
        if (server.Options.Access is not { } access) return a.DeclaredPort != 0 || a.Control.ClientUid is null;
        if (a.Control.ClientUid is not { } uid) return false;
        return a.HostSide.LocalEndPoint is IPEndPoint local && access.Diag.UdpOwner(local, from) == uid;
    }

    private async Task ClientLoopAsync(Socket hostSide, CancellationToken stopping)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(65536);
        EndPoint any = hostSide.AddressFamily == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                SocketReceiveFromResult r;
                try { r = await hostSide.ReceiveFromAsync(buffer, SocketFlags.None, any, stopping); }
                catch (SocketException) { continue; }
                if (r.RemoteEndPoint is not IPEndPoint from || Find(from) is not { } association) continue;
                await association.FromClientAsync(buffer.AsMemory(0, r.ReceivedBytes));
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private sealed class Association(Socks5UdpRelay relay, ClientConnection c, Socket hostSide,
        IPAddress clientAddress, IPAddress? declaredAddress, int declaredPort) : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private Socket? _out4, _out6;
        private string? _lastHost;
        private IPAddress? _lastAddress;

        public IPAddress ClientAddress { get; } = clientAddress;
        public ClientConnection Control { get; } = c;
        public Socket HostSide { get; } = hostSide;
        public IPAddress? DeclaredAddress { get; } = declaredAddress;
        public int DeclaredPort { get; } = declaredPort;
        public IPEndPoint? ClientEndPoint { get; set; }

        /// <summary>RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA; fragments are dropped (allowed by RFC 1928).</summary>
        public async Task FromClientAsync(ReadOnlyMemory<byte> datagram)
        {
            var d = datagram.Span;
            if (d.Length < 4 || d[2] != 0) return;
            var length = Socks5Address.Length(d[3..]);
            if (length <= 0 || !Socks5Address.TryRead(d[3..], out var target) || !target.HostValid) return;
            var offset = 3 + length - 2;
            var address = target.Literal?.Address ?? await ResolveAsync(target.Host!);
            if (address is null) return;
            var port = target.Port;
            var payload = datagram[(offset + 2)..];
            var socket = OutboundFor(address.AddressFamily);
            try
            {
                await socket.SendToAsync(payload, SocketFlags.None, new IPEndPoint(address, port));
                Control.BytesUp += payload.Length;
                Control.Touch();
            }
            catch (SocketException) { }
        }

        private async ValueTask<IPAddress?> ResolveAsync(string name)
        {
            if (name == _lastHost) return _lastAddress;
            try
            {
                var addresses = await relay.Server.Connector.Resolver.ResolveAsync(name, _cts.Token);
                (_lastHost, _lastAddress) = (name, addresses[0]);
                return addresses[0];
            }
            catch (Exception e) when (e is Dns.HostResolutionException or OperationCanceledException) { return null; }
        }

        private Socket OutboundFor(AddressFamily family)
        {
            ref var slot = ref family == AddressFamily.InterNetworkV6 ? ref _out6 : ref _out4;
            if (slot is not null) return slot;
            var s = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            slot = s;
            _ = Task.Run(() => FromRemoteLoopAsync(s));
            return s;
        }

        private async Task FromRemoteLoopAsync(Socket outbound)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(65536);
            EndPoint any = outbound.AddressFamily == AddressFamily.InterNetworkV6
                ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (!_cts.IsCancellationRequested)
                {
                    // Leave room in front of the payload for the SOCKS header (at most 22 bytes).
                    var r = await outbound.ReceiveFromAsync(buffer.AsMemory(22), SocketFlags.None, any, _cts.Token);
                    if (r.RemoteEndPoint is not IPEndPoint from || ClientEndPoint is not { } client) continue;
                    var address = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
                    var headerLength = address.AddressFamily == AddressFamily.InterNetworkV6 ? 22 : 10;
                    var start = 22 - headerLength;
                    var h = buffer.AsSpan(start, headerLength);
                    h[0] = 0; h[1] = 0; h[2] = 0;
                    h[3] = address.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)4 : (byte)1;
                    address.TryWriteBytes(h[4..], out _);
                    BinaryPrimitives.WriteUInt16BigEndian(h[(headerLength - 2)..], (ushort)from.Port);
                    await HostSide.SendToAsync(buffer.AsMemory(start, headerLength + r.ReceivedBytes), SocketFlags.None, client);
                    Control.BytesDown += r.ReceivedBytes;
                    Control.Touch();
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException) { }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
        }

        public void Dispose()
        {
            _cts.Cancel();
            _out4?.Dispose();
            _out6?.Dispose();
            _cts.Dispose();
        }
    }
}
