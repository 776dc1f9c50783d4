using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using Tunmux.Host.Latency;

namespace Tunmux.Host.Tests;

/// <summary>
/// The host's latency probe against loopback addresses (127.0.0.0/8 all reach this machine). ICMP echo
/// needs ping_group_range, which only a namespace of the lab may change: the lab test covers it.
/// </summary>
[TestFixture]
public sealed class LatencyProbeTests
{
    private static readonly EntryProber NoIcmp = new() { IcmpAllowed = _ => false };

    /// <summary>A UDP socket on the probe port of a loopback address that answers each datagram after <paramref name="delay"/>, or never.</summary>
    private static (Socket Socket, Task Loop) Responder(string address, TimeSpan? delay, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), EntryProber.UdpProbePort));
        var loop = Task.Run(async () =>
        {
            var buffer = new byte[512];
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), ct);
                    if (delay is not { } d) continue;
                    await Task.Delay(d, ct);
                    await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, ct);
                }
            }
            catch (OperationCanceledException) { }
        }, ct);
        return (socket, loop);
    }

    [Test]
    public async Task A_closed_port_answers_the_udp_probe_at_once()
    {
        var results = await NoIcmp.MeasureAsync([new ProbeTarget("127.0.0.1", 51820)], TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.That(results.Single().Method, Is.EqualTo("udp"));
        Assert.That(results.Single().RoundTrip, Is.LessThan(TimeSpan.FromMilliseconds(500)));
    }

    [Test]
    public async Task A_late_responder_measures_late_and_the_order_of_targets_is_kept()
    {
        using var stop = new CancellationTokenSource();
        var (socket, loop) = Responder("127.0.0.7", TimeSpan.FromMilliseconds(300), stop.Token);
        try
        {
            var results = await NoIcmp.MeasureAsync(
                [new ProbeTarget("127.0.0.7", 51820), new ProbeTarget("127.0.0.8", 51820)], TimeSpan.FromSeconds(3), CancellationToken.None);
            Assert.That(results[0].RoundTrip, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290)));
            Assert.That(results[1].RoundTrip, Is.LessThan(results[0].RoundTrip));
            Assert.That(results.Select(r => r.Method), Is.All.EqualTo("udp"));
        }
        finally
        {
            await stop.CancelAsync();
            socket.Dispose();
            await loop;
        }
    }

    [Test]
    public async Task A_silent_udp_port_leaves_the_answer_to_the_tcp_probe()
    {
        using var stop = new CancellationTokenSource();
        var (socket, loop) = Responder("127.0.0.9", null, stop.Token);
        using var listener = new TcpListener(IPAddress.Parse("127.0.0.9"), 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var results = await NoIcmp.MeasureAsync([new ProbeTarget("127.0.0.9", port)], TimeSpan.FromSeconds(1), CancellationToken.None);
            Assert.That(results.Single().Method, Is.EqualTo("tcp-connect"));
            Assert.That(results.Single().RoundTrip, Is.Not.Null);
        }
        finally
        {
            await stop.CancelAsync();
            socket.Dispose();
            await loop;
        }
    }

    [Test]
    public async Task Nothing_answering_ends_within_the_budget()
    {
        using var stop = new CancellationTokenSource();
        var (socket, loop) = Responder("127.0.0.10", null, stop.Token);
        try
        {
            var clock = Stopwatch.StartNew();
            var results = await NoIcmp.MeasureAsync(
                [new ProbeTarget("127.0.0.10", 0), new ProbeTarget("no-such-host.invalid", 51820)], TimeSpan.FromMilliseconds(600), CancellationToken.None);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
            Assert.That(results, Is.All.EqualTo(ProbeResult.None));
        }
        finally
        {
            await stop.CancelAsync();
            socket.Dispose();
            await loop;
        }
    }

    [Test]
    public void Echo_requests_carry_a_valid_checksum_and_replies_are_matched_by_sequence()
    {
        var request = IcmpSockets.EchoRequest(v6: false, sequence: 0x1234);
        Assert.That(request[0], Is.EqualTo(8));
        Assert.That(IcmpSockets.Checksum(request), Is.Zero, "a message with its checksum sums to zero");
        var reply = (byte[])request.Clone();
        reply[0] = 0;
        Assert.That(IcmpSockets.IsEchoReply(reply, v6: false, sequence: 0x1234), Is.True);
        Assert.That(IcmpSockets.IsEchoReply(reply, v6: false, sequence: 0x1235), Is.False);
        Assert.That(IcmpSockets.IsEchoReply(request, v6: false, sequence: 0x1234), Is.False, "a request is not a reply");
    }
}
