using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using Tunmux.Proxy.Tests.Support;
using static Tunmux.Proxy.Tests.Support.Raw;

namespace Tunmux.Proxy.Tests;

[TestFixture]
public sealed class Socks5ConformanceTests
{
    private ProxyHarness _proxy = null!;
    private TcpEcho _echo = null!;

    [SetUp]
    public void SetUp()
    {
        _proxy = new ProxyHarness();
        _echo = new TcpEcho(IPAddress.Loopback);
    }

    [TearDown]
    public async Task TearDown()
    {
        _echo.Dispose();
        await _proxy.DisposeAsync();
    }

    [Test]
    public async Task BadVersionIsClosedWithoutReply()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 4, 1, 0, 80, 127, 0, 0, 1, 0);
        Assert.That(await ReadToEndAsync(s), Is.Empty);
    }

    [Test]
    public async Task NoAcceptableMethodGets0xFF()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 5, 2, 0x02, 0x80);
        Assert.That(await ReadToEndAsync(s), Is.EqualTo(new byte[] { 5, 0xFF }));
    }

    [TestCase(new byte[] { 5 }, new byte[0], TestName = "Truncated greeting")]
    [TestCase(new byte[] { 5, 3, 0 }, new byte[0], TestName = "Truncated method list")]
    [TestCase(new byte[] { 5, 1, 0, 5, 1, 0, 1, 127, 0 }, new byte[] { 5, 0 }, TestName = "Truncated IPv4 request")]
    [TestCase(new byte[] { 5, 1, 0, 5, 1, 0, 3, 10, (byte)'a' }, new byte[] { 5, 0 }, TestName = "Truncated domain request")]
    [TestCase(new byte[] { 5, 1, 0, 5, 1, 0, 4, 0, 0, 0 }, new byte[] { 5, 0 }, TestName = "Truncated IPv6 request")]
    public async Task TruncatedInputIsClosed(byte[] send, byte[] expected)
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await s.SendAsync(send, SocketFlags.None);
        s.Shutdown(SocketShutdown.Send);
        Assert.That(await ReadToEndAsync(s), Is.EqualTo(expected));
    }

    [TestCase((byte)2, (byte)1, (byte)0x07, TestName = "BIND is command not supported")]
    [TestCase((byte)9, (byte)1, (byte)0x07, TestName = "Unknown command is command not supported")]
    [TestCase((byte)1, (byte)7, (byte)0x08, TestName = "Unknown address type")]
    public async Task RequestRefusals(byte cmd, byte atyp, byte rep)
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 5, 1, 0);
        Assert.That(await ReadExactAsync(s, 2), Is.EqualTo(new byte[] { 5, 0 }));
        await SendAsync(s, 5, cmd, 0, atyp, 127, 0, 0, 1, 0, 80);
        var reply = await ReadToEndAsync(s);
        Assert.That(reply.Length, Is.GreaterThanOrEqualTo(2));
        Assert.That(reply[0], Is.EqualTo(5));
        Assert.That(reply[1], Is.EqualTo(rep));
    }

    [Test]
    public async Task ConnectRefusedIs0x05()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        var reply = await SocksConnectAsync(s, new IPEndPoint(IPAddress.Loopback, ClosedPort()));
        Assert.That(reply[1], Is.EqualTo(0x05));
    }

    [Test]
    public async Task UnknownHostIs0x04()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 5, 1, 0);
        await ReadExactAsync(s, 2);
        await s.SendAsync(DomainRequest(1, "nowhere.test", 80), SocketFlags.None);
        var reply = await ReadToEndAsync(s);
        Assert.That(reply[1], Is.EqualTo(0x04));
    }

    [Test]
    public async Task ConnectRepliesBoundAddressAndRelaysWithHalfClose()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        var reply = await SocksConnectAsync(s, _echo.EndPoint);
        Assert.That(reply[1], Is.EqualTo(0));
        Assert.That(reply[3], Is.EqualTo(1));
        Assert.That(new IPAddress(reply.AsSpan(4, 4)), Is.EqualTo(IPAddress.Loopback));
        Assert.That(reply[8] << 8 | reply[9], Is.Not.Zero, "bound port");

        var payload = Origin.Bytes(300_000);
        var readAll = ReadToEndAsync(s);
        await s.SendAsync(payload, SocketFlags.None);
        // Half-close: the echo server only closes after seeing our end of stream through the proxy.
        s.Shutdown(SocketShutdown.Send);
        Assert.That(await readAll, Is.EqualTo(payload));
    }

    [Test]
    public async Task OptimisticDataAfterTheRequestIsForwarded()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        var req = new byte[] { 5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, (byte)(_echo.EndPoint.Port >> 8), (byte)_echo.EndPoint.Port, (byte)'h', (byte)'i' };
        await s.SendAsync(req, SocketFlags.None);
        var all = await ReadExactAsync(s, 2 + 10 + 2);
        Assert.That(all[3], Is.EqualTo(0));
        Assert.That(all[^2..], Is.EqualTo("hi"u8.ToArray()));
    }

    [Test]
    public async Task IPv6ClientAndTarget()
    {
        if (!Socket.OSSupportsIPv6) Assert.Ignore("needs IPv6 loopback");
        using var echo6 = new TcpEcho(IPAddress.IPv6Loopback);
        using var s = await ConnectAsync(_proxy.SocksPort, IPAddress.IPv6Loopback);
        var reply = await SocksConnectAsync(s, echo6.EndPoint);
        Assert.That(reply[1], Is.EqualTo(0));
        Assert.That(reply[3], Is.EqualTo(4), "bound address is IPv6");
        await SendAsync(s, 1, 2, 3);
        Assert.That(await ReadExactAsync(s, 3), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public async Task DomainTargetResolvesThroughTheResolver()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 5, 1, 0);
        await ReadExactAsync(s, 2);
        await s.SendAsync(DomainRequest(1, "origin.test", _echo.EndPoint.Port), SocketFlags.None);
        var reply = await ReadExactAsync(s, 10);
        Assert.That(reply[1], Is.EqualTo(0));
        await SendAsync(s, 42);
        Assert.That(await ReadExactAsync(s, 1), Is.EqualTo(new byte[] { 42 }));
    }

    [Test]
    public async Task UdpAssociateRelaysToAnEcho()
    {
        using var echo = new UdpEcho(IPAddress.Loopback);
        using var control = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(control, 5, 1, 0);
        await ReadExactAsync(control, 2);
        await SendAsync(control, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0);
        var reply = await ReadExactAsync(control, 10);
        Assert.That(reply[1], Is.EqualTo(0));
        var relay = new IPEndPoint(new IPAddress(reply.AsSpan(4, 4)), reply[8] << 8 | reply[9]);
        Assert.That(relay.Port, Is.EqualTo(_proxy.SocksPort));

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = echo.EndPoint.Port;
        byte[] datagram = [0, 0, 0, 1, 127, 0, 0, 1, (byte)(port >> 8), (byte)port, .. "ping"u8];
        await udp.SendToAsync(datagram, SocketFlags.None, relay);
        var buf = new byte[100];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var r = await udp.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.That(buf[..r.ReceivedBytes], Is.EqualTo(datagram), "header names the echo as source, payload intact");

        // A domain address in the datagram resolves through the proxy's resolver.
        byte[] byName = [0, 0, 0, 3, 11, .. "origin.test"u8, (byte)(port >> 8), (byte)port, .. "pong"u8];
        await udp.SendToAsync(byName, SocketFlags.None, relay);
        r = await udp.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.That(buf.AsSpan(r.ReceivedBytes - 4, 4).ToArray(), Is.EqualTo("pong"u8.ToArray()));
    }
}

[TestFixture]
public sealed class Socks5AuthTests
{
    private ProxyHarness _proxy = null!;
    private TcpEcho _echo = null!;

    [SetUp]
    public void SetUp()
    {
        _proxy = new ProxyHarness(o => new() { SocksListeners = o.SocksListeners, SocksUdpSockets = o.SocksUdpSockets, HttpListeners = o.HttpListeners, Username = "alice", Password = "s3cret" });
        _echo = new TcpEcho(IPAddress.Loopback);
    }

    [TearDown]
    public async Task TearDown()
    {
        _echo.Dispose();
        await _proxy.DisposeAsync();
    }

    private static byte[] Auth(string user, string pass) =>
        [1, (byte)user.Length, .. System.Text.Encoding.ASCII.GetBytes(user), (byte)pass.Length, .. System.Text.Encoding.ASCII.GetBytes(pass)];

    [Test]
    public async Task RightCredentialsAreAccepted()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 5, 2, 0, 2);
        Assert.That(await ReadExactAsync(s, 2), Is.EqualTo(new byte[] { 5, 2 }));
        await s.SendAsync(Auth("alice", "s3cret"), SocketFlags.None);
        Assert.That(await ReadExactAsync(s, 2), Is.EqualTo(new byte[] { 1, 0 }));
        var p = _echo.EndPoint.Port;
        await SendAsync(s, 5, 1, 0, 1, 127, 0, 0, 1, (byte)(p >> 8), (byte)p);
        Assert.That((await ReadExactAsync(s, 10))[1], Is.EqualTo(0));
    }

    [Test]
    public async Task WrongPasswordIsRefusedAndClosed()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 5, 1, 2);
        await ReadExactAsync(s, 2);
        await s.SendAsync(Auth("alice", "wrong"), SocketFlags.None);
        Assert.That(await ReadToEndAsync(s), Is.EqualTo(new byte[] { 1, 1 }));
        Assert.That(_proxy.LogText, Does.Not.Contain("wrong").And.Not.Contain("s3cret"));
    }

    [Test]
    public async Task NoAuthIsNotAcceptableWhenCredentialsAreSet()
    {
        using var s = await ConnectAsync(_proxy.SocksPort);
        await SendAsync(s, 5, 1, 0);
        Assert.That(await ReadToEndAsync(s), Is.EqualTo(new byte[] { 5, 0xFF }));
    }

    [Test]
    public async Task CurlWithCredentials()
    {
        Tunmux.TestSupport.Requires.Command("curl", "curl");
        await using var origin = await Origin.StartAsync();
        var ok = await Curl.RunAsync("--socks5", $"alice:s3cret@127.0.0.1:{_proxy.SocksPort}", $"http://127.0.0.1:{origin.HttpPort}/hello");
        Assert.That(ok.StandardOutput, Is.EqualTo("hello"), ok.StandardError);
        var bad = await Curl.RunAsync("--socks5", $"alice:nope@127.0.0.1:{_proxy.SocksPort}", $"http://127.0.0.1:{origin.HttpPort}/hello");
        Assert.That(bad.ExitCode, Is.Not.Zero);
    }

    [Test]
    public async Task HttpProxyAsksForTheSameCredentials()
    {
        Tunmux.TestSupport.Requires.Command("curl", "curl");
        await using var origin = await Origin.StartAsync();
        var url = $"http://127.0.0.1:{origin.HttpPort}/hello";
        var none = await Curl.RunAsync("-o", "/dev/null", "-w", "%{http_code}", "-x", $"http://127.0.0.1:{_proxy.HttpPort}", url);
        Assert.That(none.StandardOutput, Is.EqualTo("407"));
        var wrong = await Curl.RunAsync("-o", "/dev/null", "-w", "%{http_code}", "-x", $"http://alice:nope@127.0.0.1:{_proxy.HttpPort}", url);
        Assert.That(wrong.StandardOutput, Is.EqualTo("407"));
        var ok = await Curl.RunAsync("-x", $"http://alice:s3cret@127.0.0.1:{_proxy.HttpPort}", url);
        Assert.That(ok.StandardOutput, Is.EqualTo("hello"), ok.StandardError);
        var connect = await Curl.RunAsync("-k", "-x", $"http://alice:s3cret@127.0.0.1:{_proxy.HttpPort}", $"https://127.0.0.1:{origin.HttpsPort}/hello");
        Assert.That(connect.StandardOutput, Is.EqualTo("hello"), connect.StandardError);
    }
}
