using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Tunmux.Privileged.Proxy.Server;
using Tunmux.Proxy.Tests.Support;
using static Tunmux.Proxy.Tests.Support.Raw;

namespace Tunmux.Proxy.Tests;

[TestFixture]
public sealed class RobustnessTests
{
    private static ProxyServerOptions Short(ProxyServerOptions o, int max = 4096) => new()
    {
        SocksListeners = o.SocksListeners, SocksUdpSockets = o.SocksUdpSockets, HttpListeners = o.HttpListeners,
        AccessLog = true, HandshakeTimeout = TimeSpan.FromSeconds(1), IdleTimeout = TimeSpan.FromSeconds(1),
        SweepInterval = TimeSpan.FromMilliseconds(100), MaxConnections = max,
    };

    [Test]
    public async Task SilentClientIsDroppedAfterTheHandshakeTimeout()
    {
        await using var proxy = new ProxyHarness(o => Short(o));
        using var s = await ConnectAsync(proxy.SocksPort);
        var sw = Stopwatch.StartNew();
        Assert.That(await ReadToEndAsync(s), Is.Empty);
        Assert.That(sw.Elapsed, Is.InRange(TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task DribblingClientIsDroppedAfterTheHandshakeTimeout()
    {
        await using var proxy = new ProxyHarness(o => Short(o));
        using var s = await ConnectAsync(proxy.HttpPort);
        var sw = Stopwatch.StartNew();
        var closed = ReadToEndAsync(s, TimeSpan.FromSeconds(6));
        try
        {
            foreach (var b in Encoding.ASCII.GetBytes("GET http://origin.test/ HTTP/1.1\r\nX: "))
            {
                if (closed.IsCompleted) break;
                await s.SendAsync(new[] { b }, SocketFlags.None);
                await Task.Delay(100);
            }
        }
        catch (SocketException) { }
        await closed;
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task IdleRelayIsClosed()
    {
        await using var proxy = new ProxyHarness(o => Short(o));
        using var echo = new TcpEcho(IPAddress.Loopback);
        using var s = await ConnectAsync(proxy.SocksPort);
        Assert.That((await SocksConnectAsync(s, echo.EndPoint))[1], Is.EqualTo(0));
        // Traffic keeps it alive past the timeout...
        for (var i = 0; i < 6; i++)
        {
            await SendAsync(s, 7);
            Assert.That(await ReadExactAsync(s, 1), Is.EqualTo(new byte[] { 7 }));
            await Task.Delay(300);
        }
        // ...silence closes it.
        var sw = Stopwatch.StartNew();
        Assert.That(await ReadToEndAsync(s), Is.Empty);
        Assert.That(sw.Elapsed, Is.InRange(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(3)));
        await Task.Delay(200);
        await proxy.Log.DisposeAsync();
        Assert.That(proxy.LogText, Does.Contain("outcome=idle-timeout"));
    }

    [Test]
    public async Task PastTheConnectionBoundClientsAreRefusedPolitely()
    {
        await using var proxy = new ProxyHarness(o => Short(o, max: 2) is var s ? new()
        {
            SocksListeners = s.SocksListeners, SocksUdpSockets = s.SocksUdpSockets, HttpListeners = s.HttpListeners,
            MaxConnections = 2, AccessLog = true,
        } : null!);
        using var echo = new TcpEcho(IPAddress.Loopback);
        using var a = await ConnectAsync(proxy.SocksPort);
        using var b = await ConnectAsync(proxy.SocksPort);
        Assert.That((await SocksConnectAsync(a, echo.EndPoint))[1], Is.EqualTo(0));
        Assert.That((await SocksConnectAsync(b, echo.EndPoint))[1], Is.EqualTo(0));

        using var c = await ConnectAsync(proxy.SocksPort);
        Assert.That((await SocksConnectAsync(c, echo.EndPoint))[1], Is.EqualTo(0x01), "general failure past the bound");
        using var h = await ConnectAsync(proxy.HttpPort);
        await h.SendAsync("GET http://origin.test/ HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None);
        Assert.That(Encoding.ASCII.GetString(await ReadToEndAsync(h)), Does.StartWith("HTTP/1.1 503 "));

        // Once one closes, a new client gets through again.
        a.Dispose();
        await WaitUntil(() => proxy.Server.ActiveConnections <= 1);
        using var d = await ConnectAsync(proxy.SocksPort);
        Assert.That((await SocksConnectAsync(d, echo.EndPoint))[1], Is.EqualTo(0));
    }

    [Test]
    public async Task FiveHundredConcurrentTransfersAreHashVerified()
    {
        await using var proxy = new ProxyHarness();
        using var echo = new TcpEcho(IPAddress.Loopback);
        const int size = 256 * 1024;
        var tasks = Enumerable.Range(0, 500).Select(async i =>
        {
            using var s = await ConnectAsync(proxy.SocksPort);
            Assert.That((await SocksConnectAsync(s, echo.EndPoint))[1], Is.EqualTo(0));
            var payload = new byte[size];
            new Random(i).NextBytes(payload);
            var reading = ReadToEndAsync(s, TimeSpan.FromSeconds(60));
            await s.SendAsync(payload, SocketFlags.None);
            s.Shutdown(SocketShutdown.Send);
            var back = await reading;
            return System.Security.Cryptography.SHA256.HashData(back).SequenceEqual(System.Security.Cryptography.SHA256.HashData(payload));
        }).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.That(results.Count(ok => ok), Is.EqualTo(500));
    }

    internal static async Task WaitUntil(Func<bool> condition, int timeoutMs = 5000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) Assert.Fail("condition not reached in time");
            await Task.Delay(20);
        }
    }
}
