using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>SOCKS5 (RFC 1928) with optional username/password (RFC 1929): CONNECT and UDP ASSOCIATE.</summary>
internal sealed class Socks5Handler(ProxyServer server)
{
    private const byte Version = 5;
    private const byte MethodNoAuth = 0x00, MethodUserPass = 0x02, MethodNone = 0xFF;
    private const byte CmdConnect = 1, CmdBind = 2, CmdUdpAssociate = 3;
    private const byte AtypIPv4 = 1, AtypDomain = 3, AtypIPv6 = 4;

    internal static class Reply
    {
        public const byte Succeeded = 0x00, GeneralFailure = 0x01, NotAllowed = 0x02, NetworkUnreachable = 0x03,
            HostUnreachable = 0x04, ConnectionRefused = 0x05, TtlExpired = 0x06, CommandNotSupported = 0x07,
            AddressTypeNotSupported = 0x08;
    }

    public async Task HandleAsync(ClientConnection c, bool overloaded)
    {
        using var reader = new SocketReader(c.Client, 512);
        var client = c.Client;

        // Greeting: VER NMETHODS METHODS...
        if (!await reader.FillAsync(2)) { c.Outcome = "truncated"; return; }
        if (reader.Span[0] != Version) { c.Outcome = "bad-version"; return; }
        int nmethods = reader.Span[1];
        if (!await reader.FillAsync(2 + nmethods)) { c.Outcome = "truncated"; return; }
        var methods = reader.Span.Slice(2, nmethods);
        var wanted = server.Options.Username is null ? MethodNoAuth : MethodUserPass;
        var offered = methods.IndexOf(wanted) >= 0;
        reader.Consume(2 + nmethods);
        if (!offered)
        {
            await SendAsync(client, [Version, MethodNone]);
            c.Outcome = "no-acceptable-method";
            return;
        }
        await SendAsync(client, [Version, wanted]);

        if (wanted == MethodUserPass && !await AuthenticateAsync(c, reader)) return;

        // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
        if (!await reader.FillAsync(4)) { c.Outcome = "truncated"; return; }
        var head = reader.Span;
        if (head[0] != Version) { await ReplyAsync(client, Reply.GeneralFailure, null); c.Outcome = "bad-version"; return; }
        var cmd = head[1];
        // ATYP DST.ADDR DST.PORT, read as far as its own length says (a domain's length byte comes first).
        int addrLen;
        while ((addrLen = Socks5Address.Length(reader.Span[3..])) > reader.Buffered - 3)
            if (!await reader.FillAsync(3 + addrLen)) { c.Outcome = "truncated"; return; }
        if (addrLen < 0 || !Socks5Address.TryRead(reader.Span.Slice(3, addrLen), out var address))
        {
            await ReplyAsync(client, Reply.AddressTypeNotSupported, null);
            c.Outcome = "address-type-not-supported";
            return;
        }
        reader.Consume(3 + addrLen);
        var port = address.Port;
        if (!address.HostValid)
        {
            // Logged as sent (the log escapes it), so an administrator sees the attempt.
            c.Target = address.RawHost + ":" + port;
            await ReplyAsync(client, Reply.HostUnreachable, null);
            c.Outcome = "bad-host";
            return;
        }
        // An address literal is used as is: no text round trip, no resolver.
        var host = address.Host;
        var literal = address.Literal;
        if (literal is not null) c.TargetEndPoint = literal;
        else c.Target = $"{host}:{port}";

        if (cmd == CmdBind || (cmd != CmdConnect && cmd != CmdUdpAssociate))
        {
            await ReplyAsync(client, Reply.CommandNotSupported, null);
            c.Outcome = cmd == CmdBind ? "bind-not-supported" : "command-not-supported";
            return;
        }
        if (overloaded)
        {
            await ReplyAsync(client, Reply.GeneralFailure, null);
            c.Outcome = "over-connection-limit";
            return;
        }

        if (cmd == CmdUdpAssociate)
        {
            c.Target = "udp";
            await server.UdpRelay.AssociateAsync(c, reader, host ?? literal!.Address.ToString(), port);
            return;
        }

        Socket upstream;
        try
        {
            upstream = literal is not null
                ? await server.Connector.ConnectAsync(literal)
                : await server.Connector.ConnectAsync(host!, port, CancellationToken.None);
        }
        catch (ConnectException e)
        {
            await ReplyAsync(client, ReplyFor(e.Failure), null);
            c.Outcome = OutboundConnector.Outcome(e.Failure);
            return;
        }
        c.Upstream = upstream;
        if (c.IsAborted) { upstream.Dispose(); return; }
        await ReplyAsync(client, Reply.Succeeded, upstream.LocalEndPoint as IPEndPoint);

        // Bytes the client sent optimistically after its request go out first.
        if (reader.Buffered > 0)
        {
            c.BytesUp += reader.Buffered;
            await Relay.SendAllAsync(upstream, reader.Memory);
            reader.Consume(reader.Buffered);
        }
        await Relay.RunAsync(c, client, upstream);
    }

    private async Task<bool> AuthenticateAsync(ClientConnection c, SocketReader reader)
    {
        // RFC 1929: VER(1) ULEN UNAME PLEN PASSWD
        if (!await reader.FillAsync(2)) { c.Outcome = "truncated"; return false; }
        int ulen = reader.Span[1];
        if (!await reader.FillAsync(2 + ulen + 1)) { c.Outcome = "truncated"; return false; }
        int plen = reader.Span[2 + ulen];
        if (!await reader.FillAsync(3 + ulen + plen)) { c.Outcome = "truncated"; return false; }
        var span = reader.Span;
        var ok = span[0] == 1
                 && FixedEquals(span.Slice(2, ulen), server.UsernameBytes)
                 & FixedEquals(span.Slice(3 + ulen, plen), server.PasswordBytes);
        reader.Consume(3 + ulen + plen);
        await SendAsync(c.Client, [1, ok ? (byte)0 : (byte)1]);
        if (!ok) c.Outcome = "auth-failed";
        return ok;
    }

    /// <summary>Constant-time for equal lengths; lengths are not secret enough to hide.</summary>
    private static bool FixedEquals(ReadOnlySpan<byte> a, byte[] b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(a, b);

    internal static byte ReplyFor(ConnectFailure f) => f switch
    {
        ConnectFailure.NetworkUnreachable => Reply.NetworkUnreachable,
        ConnectFailure.HostUnreachable or ConnectFailure.HostNotFound => Reply.HostUnreachable,
        ConnectFailure.Refused => Reply.ConnectionRefused,
        ConnectFailure.TimedOut => Reply.TtlExpired,
        ConnectFailure.AddressTypeNotSupported => Reply.AddressTypeNotSupported,
        _ => Reply.GeneralFailure,
    };

    internal static Task ReplyAsync(Socket client, byte rep, IPEndPoint? bound)
    {
        var address = bound?.Address ?? IPAddress.Any;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var reply = new byte[4 + (v6 ? 16 : 4) + 2];
        reply[0] = Version;
        reply[1] = rep;
        reply[3] = v6 ? AtypIPv6 : AtypIPv4;
        address.TryWriteBytes(reply.AsSpan(4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(reply.Length - 2), (ushort)(bound?.Port ?? 0));
        return SendAsync(client, reply);
    }

    private static async Task SendAsync(Socket s, byte[] data)
    {
        try { await Relay.SendAllAsync(s, data); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }
}
