using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tunmux.Host.Latency;

/// <summary>One entry to measure: an address or host name, and the server's WireGuard UDP port.</summary>
internal readonly record struct ProbeTarget(string Host, int Port);

/// <summary>A round trip and how it was measured (<c>icmp</c>, <c>udp</c>, <c>tcp-connect</c>), or no answer (<c>none</c>).</summary>
internal readonly record struct ProbeResult(TimeSpan? RoundTrip, string Method)
{
    public static ProbeResult None { get; } = new(null, "none");
}

/// <summary>
/// Measures round trips to VPN entries from this machine, in parallel and within one budget for all
/// of them. Per entry it asks, one after the other until something answers:
/// ICMP echo on an unprivileged datagram socket where the system allows it (Linux's
/// <c>net.ipv4.ping_group_range</c>; as <c>ping</c> does without privileges), then a UDP datagram to the
/// traceroute port 33434 (a closed port answers with ICMP port-unreachable, which the socket reports as
/// "connection refused"; any reply counts too), then a TCP connection to the WireGuard port (an answer
/// or a reset both count, as the original tool's probe does). The later methods start only when the
/// earlier have not answered within their share of the budget, so a server that answers pings is
/// measured by pings.
/// </summary>
internal sealed class EntryProber
{
    /// <summary>Port of the UDP probe: traceroute's first port, closed on servers by convention.</summary>
    public const int UdpProbePort = 33434;

    /// <summary>Probes in flight at once (Eddie pings with 25 jobs; sockets are cheap, round trips are what takes time).</summary>
    public int Parallelism { get; init; } = 128;

    /// <summary>Share of the budget after which the UDP probe starts.</summary>
    public double UdpStart { get; init; } = 0.4;

    /// <summary>Share of the budget after which the TCP probe starts.</summary>
    public double TcpStart { get; init; } = 0.7;

    /// <summary>Whether unprivileged ICMP echo works here, per address family (asked of the kernel once).</summary>
    public Func<AddressFamily, bool> IcmpAllowed { get; init; } = IcmpSockets.Allowed;

    public async Task<IReadOnlyList<ProbeResult>> MeasureAsync(IReadOnlyList<ProbeTarget> targets, TimeSpan budget, CancellationToken ct)
    {
        var results = new ProbeResult[targets.Count];
        Array.Fill(results, ProbeResult.None);
        if (targets.Count == 0 || budget <= TimeSpan.Zero) return results;

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(budget);
        var started = Stopwatch.GetTimestamp();
        using var gate = new SemaphoreSlim(Parallelism);
        var work = targets.Select(async (target, i) =>
        {
            try
            {
                await gate.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                // What is left of the budget is this entry's budget: entries measured late get less.
                var left = budget - Stopwatch.GetElapsedTime(started);
                results[i] = await MeasureOneAsync(target, left, deadline.Token).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(work).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return results;
    }

    private async Task<ProbeResult> MeasureOneAsync(ProbeTarget target, TimeSpan budget, CancellationToken ct)
    {
        var address = await ResolveAsync(target.Host, ct).ConfigureAwait(false);
        if (address is null || budget <= TimeSpan.Zero) return ProbeResult.None;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stages = new List<(TimeSpan Start, string Method, Func<CancellationToken, Task<TimeSpan?>> Probe)>();
        if (IcmpAllowed(address.AddressFamily)) stages.Add((TimeSpan.Zero, "icmp", c => EchoAsync(address, c)));
        stages.Add((stages.Count == 0 ? TimeSpan.Zero : budget * UdpStart, "udp", c => UdpAsync(address, c)));
        if (target.Port is > 0 and <= 65535) stages.Add((budget * TcpStart, "tcp-connect", c => TcpAsync(new IPEndPoint(address, target.Port), c)));

        var running = stages.Select(s => Staged(s.Start, s.Method, s.Probe, stop.Token)).ToList();
        try
        {
            while (running.Count > 0)
            {
                var done = await Task.WhenAny(running).ConfigureAwait(false);
                running.Remove(done);
                if (await done.ConfigureAwait(false) is { RoundTrip: not null } result) return result;
            }
            return ProbeResult.None;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs one method after its start delay; no answer, an error or the end of the budget all mean none.</summary>
    private static async Task<ProbeResult> Staged(TimeSpan start, string method, Func<CancellationToken, Task<TimeSpan?>> probe, CancellationToken ct)
    {
        try
        {
            if (start > TimeSpan.Zero) await Task.Delay(start, ct).ConfigureAwait(false);
            return await probe(ct).ConfigureAwait(false) is { } rtt ? new ProbeResult(rtt, method) : ProbeResult.None;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            return ProbeResult.None;
        }
    }

    private static async Task<IPAddress?> ResolveAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) return literal;
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
        }
        catch (Exception e) when (e is SocketException or ArgumentException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>One ICMP echo on a datagram socket; the kernel sets the identifier and routes the reply to this socket.</summary>
    private static async Task<TimeSpan?> EchoAsync(IPAddress address, CancellationToken ct)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp);
        await socket.ConnectAsync(new IPEndPoint(address, 0), ct).ConfigureAwait(false);
        var sequence = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        var request = IcmpSockets.EchoRequest(v6, sequence);
        var buffer = new byte[1500];
        var started = Stopwatch.GetTimestamp();
        await socket.SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (IcmpSockets.IsEchoReply(buffer.AsSpan(0, read), v6, sequence)) return Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>A datagram to the traceroute port: port-unreachable (reported as refused) or any reply is the answer.</summary>
    private static async Task<TimeSpan?> UdpAsync(IPAddress address, CancellationToken ct)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(new IPEndPoint(address, UdpProbePort), ct).ConfigureAwait(false);
        var receive = new SocketAsyncEventArgs();
        receive.SetBuffer(new byte[512]);
        var started = Stopwatch.GetTimestamp();
        await socket.SendAsync("tunmux latency probe"u8.ToArray(), SocketFlags.None, ct).ConfigureAwait(false);
        var (error, at) = await AnsweredAsync(socket.ReceiveAsync, receive, ct).ConfigureAwait(false);
        // ICMP port unreachable (a refused receive) means the host answered, as a reply does.
        return error is SocketError.Success or SocketError.ConnectionRefused ? Stopwatch.GetElapsedTime(started, at) : null;
    }

    /// <summary>A TCP handshake to the port: accepted or reset, the host answered.</summary>
    private static async Task<TimeSpan?> TcpAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var connect = new SocketAsyncEventArgs { RemoteEndPoint = endpoint };
        var started = Stopwatch.GetTimestamp();
        var (error, at) = await AnsweredAsync(socket.ConnectAsync, connect, ct).ConfigureAwait(false);
        return error is SocketError.Success or SocketError.ConnectionRefused or SocketError.ConnectionReset
            ? Stopwatch.GetElapsedTime(started, at)
            : null;
    }

    /// <summary>
    /// Runs one socket operation and gives its outcome with the moment it completed. Through
    /// SocketAsyncEventArgs a refused or reset operation is a result, not an exception: the first exception
    /// a process throws costs tens of milliseconds (hundreds on a busy machine), which would otherwise be
    /// counted into the round trip of every entry that answers with a refusal. The moment is taken where
    /// the operation completes, not where a continuation later runs on a busy thread pool.
    /// </summary>
    private static Task<(SocketError Error, long At)> AnsweredAsync(
        Func<SocketAsyncEventArgs, bool> start, SocketAsyncEventArgs args, CancellationToken ct)
    {
        var answered = new TaskCompletionSource<(SocketError, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        args.Completed += (_, e) => answered.TrySetResult((e.SocketError, Stopwatch.GetTimestamp()));
        if (!start(args)) answered.TrySetResult((args.SocketError, Stopwatch.GetTimestamp()));
        return answered.Task.WaitAsync(ct);
    }
}

/// <summary>Unprivileged ICMP echo sockets: whether the kernel allows them, and the echo messages.</summary>
internal static class IcmpSockets
{
    private static readonly Lazy<bool> V4 = new(() => CanOpen(AddressFamily.InterNetwork, ProtocolType.Icmp));
    private static readonly Lazy<bool> V6 = new(() => CanOpen(AddressFamily.InterNetworkV6, ProtocolType.IcmpV6));

    /// <summary>True when this process may open an ICMP datagram socket of the family (its group is in <c>ping_group_range</c>).</summary>
    public static bool Allowed(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? V6.Value : V4.Value;

    private static bool CanOpen(AddressFamily family, ProtocolType protocol)
    {
        try
        {
            using var socket = new Socket(family, SocketType.Dgram, protocol);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>An echo request: type, code, checksum, identifier (the kernel's), sequence, and 8 bytes of payload.</summary>
    public static byte[] EchoRequest(bool v6, ushort sequence)
    {
        var message = new byte[16];
        message[0] = v6 ? (byte)128 : (byte)8;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), sequence);
        "tunmuxRT"u8.CopyTo(message.AsSpan(8));
        // ICMPv6's checksum covers a pseudo-header the kernel knows; the kernel fills both anyway on these sockets.
        if (!v6) BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), Checksum(message));
        return message;
    }

    public static bool IsEchoReply(ReadOnlySpan<byte> message, bool v6, ushort sequence) =>
        message.Length >= 8 && message[0] == (v6 ? 129 : 0) && BinaryPrimitives.ReadUInt16BigEndian(message[6..]) == sequence;

    /// <summary>The Internet checksum (RFC 1071).</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) == 1) sum += (uint)(data[^1] << 8);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
