using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// NAT-PMP (RFC 6886) messages: the mapping request and its answer. Version 0; opcodes 1 (UDP) and 2 (TCP);
/// an answer's opcode is the request's plus 128. Every field is big-endian.
/// </summary>
internal static class NatPmp
{
    public const int Port = 5351;
    public const byte Version = 0;
    public const byte OpUdp = 1;
    public const byte OpTcp = 2;

    /// <summary>RFC 6886 §3.5 result codes.</summary>
    public static string Describe(ushort result) => result switch
    {
        0 => "success",
        1 => "unsupported version",
        2 => "not authorized or refused (port forwarding may be off for this server)",
        3 => "network failure at the gateway",
        4 => "out of resources (no ports left)",
        5 => "unsupported opcode",
        _ => $"result code {result}",
    };

    /// <summary>§3.3: version, opcode, 2 reserved bytes, internal port, suggested external port, lifetime in seconds.</summary>
    public static byte[] MapRequest(byte op, ushort internalPort, ushort suggestedExternalPort, uint lifetimeSeconds)
    {
        var m = new byte[12];
        m[0] = Version;
        m[1] = op;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(4), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(6), suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(8), lifetimeSeconds);
        return m;
    }

    /// <summary>The answer to a mapping request (16 bytes), or null when the bytes are not one for <paramref name="op"/>.</summary>
    public static MapAnswer? ParseMapAnswer(ReadOnlySpan<byte> m, byte op)
    {
        if (m.Length < 16 || m[0] != Version || m[1] != op + 128) return null;
        return new MapAnswer(
            BinaryPrimitives.ReadUInt16BigEndian(m[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(m[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(m[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(m[10..]),
            BinaryPrimitives.ReadUInt32BigEndian(m[12..]));
    }

    public sealed record MapAnswer(ushort Result, uint Epoch, ushort InternalPort, ushort ExternalPort, uint LifetimeSeconds);
}

/// <summary>
/// Asks the gateway inside an exit's tunnel for a port mapping, the way Proton's own clients do: internal
/// port 1, any public port the first time and the same one on each renewal, UDP and TCP alike. The socket is
/// made inside the exit's namespace, so the request travels through the tunnel to the server's gateway.
/// Requests are sent again after 250 ms, doubling (§3.1), within the time given.
/// </summary>
internal sealed class NatPmpClient(string? ns)
{
    /// <summary>The public port mapped for both protocols; throws <see cref="IOException"/> with the gateway's reason.</summary>
    /// <param name="gatewayPort">The gateway's NAT-PMP port: 5351, always, but for tests.</param>
    public async Task<int> MapAsync(IPAddress gateway, int? previousPort, TimeSpan lifetime, TimeSpan timeout, CancellationToken ct,
        int gatewayPort = NatPmp.Port)
    {
        var seconds = (uint)Math.Max(1, Math.Ceiling(lifetime.TotalSeconds));
        var suggested = (ushort)(previousPort ?? 0);
        var udp = await RequestAsync(new IPEndPoint(gateway, gatewayPort), NatPmp.OpUdp, suggested, seconds, timeout, ct).ConfigureAwait(false);
        var tcp = await RequestAsync(new IPEndPoint(gateway, gatewayPort), NatPmp.OpTcp, udp.ExternalPort, seconds, timeout, ct).ConfigureAwait(false);
        if (tcp.ExternalPort != udp.ExternalPort)
            throw new IOException($"the gateway mapped UDP port {udp.ExternalPort} but TCP port {tcp.ExternalPort}");
        return udp.ExternalPort;
    }

    private async Task<NatPmp.MapAnswer> RequestAsync(IPEndPoint target, byte op, ushort suggested, uint seconds, TimeSpan timeout, CancellationToken ct)
    {
        var gateway = target.Address;
        using var socket = NamespaceSockets.Create(ns, gateway.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        var request = NatPmp.MapRequest(op, 1, suggested, seconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var buffer = new byte[64];
        var wait = TimeSpan.FromMilliseconds(250);
        try
        {
            while (true)
            {
                await socket.SendAsync(request, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                attempt.CancelAfter(wait);
                try
                {
                    while (true)
                    {
                        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, attempt.Token).ConfigureAwait(false);
                        if (NatPmp.ParseMapAnswer(buffer.AsSpan(0, n), op) is not { } answer) continue;
                        if (answer.Result != 0)
                            throw new IOException($"the gateway {gateway} refused the port mapping: {NatPmp.Describe(answer.Result)}");
                        if (answer.ExternalPort == 0) throw new IOException($"the gateway {gateway} mapped no port");
                        return answer;
                    }
                }
                catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                {
                    wait *= 2;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new IOException($"no NAT-PMP answer from {gateway} within {timeout.TotalSeconds:0.#} s");
        }
        catch (SocketException e)
        {
            throw new IOException($"NAT-PMP request to {gateway} failed: {e.Message}", e);
        }
    }
}
