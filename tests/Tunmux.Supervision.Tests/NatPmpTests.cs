using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using Tunmux.Privileged.Tunnels.Supervision;

namespace Tunmux.Supervision.Tests;

/// <summary>RFC 6886 messages and the client, against a responder on loopback (the lab has one in each server's namespace).</summary>
public class NatPmpTests
{
    [Test]
    public void A_mapping_request_has_the_layout_of_rfc_6886_section_3_3()
    {
        var m = NatPmp.MapRequest(NatPmp.OpTcp, 1, 40000, 60);
        Assert.That(m, Is.EqualTo(new byte[] { 0, 2, 0, 0, 0, 1, 0x9c, 0x40, 0, 0, 0, 60 }));
    }

    [Test]
    public void An_answer_is_read_field_by_field_and_anything_else_is_not_an_answer()
    {
        byte[] answer = [0, 129, 0, 0, 0, 0, 1, 0, 0, 1, 0x9c, 0x41, 0, 0, 0, 60];
        Assert.That(NatPmp.ParseMapAnswer(answer, NatPmp.OpUdp), Is.EqualTo(new NatPmp.MapAnswer(0, 256, 1, 40001, 60)));
        Assert.Multiple(() =>
        {
            Assert.That(NatPmp.ParseMapAnswer(answer, NatPmp.OpTcp), Is.Null, "the answer to another opcode");
            Assert.That(NatPmp.ParseMapAnswer(answer.AsSpan(0, 12), NatPmp.OpUdp), Is.Null, "too short");
            Assert.That(NatPmp.ParseMapAnswer([1, .. answer[1..]], NatPmp.OpUdp), Is.Null, "another version");
        });
    }

    [Test]
    public async Task The_client_maps_both_protocols_to_one_port_and_renews_the_same_one()
    {
        using var gateway = new Responder(result: 0);
        var client = new NatPmpClient(ns: null);
        var port = await client.MapAsync(IPAddress.Loopback, null, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(3), CancellationToken.None, gateway.Port);
        var renewed = await client.MapAsync(IPAddress.Loopback, port, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(3), CancellationToken.None, gateway.Port);
        Assert.Multiple(() =>
        {
            Assert.That(port, Is.EqualTo(45001));
            Assert.That(renewed, Is.EqualTo(port));
            Assert.That(gateway.Requests, Is.EqualTo(new[] { "1 1 0 60", "2 1 45001 60", "1 1 45001 60", "2 1 45001 60" }),
                "op, internal port 1, suggested port, lifetime: any port first, the same one after");
        });
    }

    [Test]
    public void A_refusal_is_an_error_naming_the_gateways_reason()
    {
        using var gateway = new Responder(result: 2);
        var e = Assert.ThrowsAsync<IOException>(() => new NatPmpClient(null)
            .MapAsync(IPAddress.Loopback, null, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(3), CancellationToken.None, gateway.Port));
        Assert.That(e!.Message, Does.Contain("refused the port mapping").And.Contain("port forwarding may be off"));
    }

    [Test]
    public void A_gateway_that_never_answers_is_an_error_within_the_time_given()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var started = Environment.TickCount64;
        var e = Assert.ThrowsAsync<IOException>(() => new NatPmpClient(null).MapAsync(IPAddress.Loopback, null, TimeSpan.FromSeconds(60),
            TimeSpan.FromSeconds(1), CancellationToken.None, ((IPEndPoint)silent.Client.LocalEndPoint!).Port));
        Assert.That(e!.Message, Does.Contain("no NAT-PMP answer"));
        Assert.That(Environment.TickCount64 - started, Is.LessThan(3000));
    }

    /// <summary>A gateway on loopback: maps every request to port 45001 (or refuses with <paramref name="result"/>), retransmissions included.</summary>
    private sealed class Responder : IDisposable
    {
        private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();

        public Responder(ushort result)
        {
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    UdpReceiveResult r;
                    try { r = await _udp.ReceiveAsync(_stop.Token); }
                    catch (OperationCanceledException) { return; }
                    catch (ObjectDisposedException) { return; }
                    var m = r.Buffer;
                    if (m.Length < 12) continue;
                    lock (Requests)
                        Requests.Add($"{m[1]} {BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(4))} {BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(6))} {BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(8))}");
                    var a = new byte[16];
                    a[1] = (byte)(m[1] + 128);
                    BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(2), result);
                    BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(4), 1000);
                    a[8] = m[4];
                    a[9] = m[5];
                    BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(10), 45001);
                    a[12] = m[8]; a[13] = m[9]; a[14] = m[10]; a[15] = m[11];
                    await _udp.SendAsync(a, r.RemoteEndPoint);
                }
            });
        }

        public List<string> Requests { get; } = [];

        public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

        public void Dispose()
        {
            _stop.Cancel();
            _udp.Dispose();
        }
    }
}
