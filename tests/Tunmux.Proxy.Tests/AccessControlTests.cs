using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Tunmux.Privileged.Proxy.Access;
using Tunmux.Proxy.Tests.Support;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;
using static Tunmux.Proxy.Tests.Support.Raw;

namespace Tunmux.Proxy.Tests;

/// <summary>
/// Who may use a proxy, asked of the kernel per connection (sock_diag), and UDP associations bound to
/// their client: run against a real second local user the fixture creates (and removes).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AccessControlTests
{
    private static readonly string User = "tmxu" + Tunmux.TestSupport.Users.LocalUsers.NewSuffix();
    private uint _uid;
    private bool _created;

    [OneTimeSetUp]
    public void CreateUser()
    {
        Requires.Root("creates a local user");
        Requires.Command("useradd", "passwd");
        Requires.Command("setpriv", "util-linux");
        Run("useradd", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", User);
        _created = true;
        _uid = uint.Parse(Run("id", "-u", User).Trim());
    }

    [OneTimeTearDown]
    public void RemoveUser()
    {
        if (!_created) return;
        try { Run("pkill", "-KILL", "-u", User); } catch (InvalidOperationException) { }
        Run("userdel", "-f", User);
    }

    private static string Run(string file, params string[] args) => Lab.Check(Lab.Run(file, args));

    /// <summary>A short Python program run as the test user (a separate process with its own sockets).</summary>
    private static string AsUser(string script, params string[] args) =>
        Run("setpriv", ["--reuid", User, "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c", script, .. args]).Trim();

    private const string TcpProbe = """
        import socket, sys
        # A refused client is reset at once: that may already show in connect() on loopback.
        try:
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
            s.sendall(bytes([5, 1, 0]))
            d = s.recv(2)
            print("answered" if d else "closed")
        except (ConnectionResetError, BrokenPipeError):
            print("closed")
        """;

    private const string UdpProbe = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1.5)
        s.bind(("127.0.0.1", 0))
        s.sendto(bytes.fromhex(sys.argv[1]), ("127.0.0.1", int(sys.argv[2])))
        try:
            d, _ = s.recvfrom(4096)
            print("got " + d.hex())
        except socket.timeout:
            print("none")
        """;

    private static ProxyHarness Harness(IReadOnlySet<uint> uids, bool share) =>
        new(o => new()
        {
            SocksListeners = o.SocksListeners, SocksUdpSockets = o.SocksUdpSockets, HttpListeners = o.HttpListeners, AccessLog = true,
            Access = new ClientAccess(SockDiag.Open(), uids, new HashSet<uint>(), share),
        });

    [Test]
    public async Task Only_allowed_uids_get_a_byte_and_root_always_does()
    {
        await using var ownerOnly = Harness(new HashSet<uint> { 4242 }, share: false);
        await using var opened = Harness(new HashSet<uint> { _uid }, share: false);
        await using var shared = Harness(new HashSet<uint> { 4242 }, share: true);

        Assert.Multiple(() =>
        {
            Assert.That(AsUser(TcpProbe, ownerOnly.SocksPort.ToString()), Is.EqualTo("closed"), "another uid is refused");
            Assert.That(AsUser(TcpProbe, ownerOnly.HttpPort.ToString()), Is.EqualTo("closed"), "on the HTTP port too");
            Assert.That(AsUser(TcpProbe, opened.SocksPort.ToString()), Is.EqualTo("answered"), "a uid the owner allowed");
            Assert.That(AsUser(TcpProbe, shared.SocksPort.ToString()), Is.EqualTo("answered"), "shared on purpose");
        });
        // The test runs as root: allowed on every exit.
        using var s = await ConnectAsync(ownerOnly.SocksPort);
        await SendAsync(s, 5, 1, 0);
        Assert.That(await ReadExactAsync(s, 2), Is.EqualTo(new byte[] { 5, 0 }));
        Assert.That(() => ownerOnly.LogText, Does.Contain($"refused socks5 connection #1 from uid {_uid}").After(3000, 50));
    }

    [Test]
    public async Task A_udp_association_is_bound_to_its_clients_uid_and_no_one_else_can_use_or_take_it()
    {
        // Shared, so the other user's TCP is not what stops it: the association itself must.
        await using var proxy = Harness(new HashSet<uint>(), share: true);
        using var echo = new UdpEcho(IPAddress.Loopback);
        using var control = await ConnectAsync(proxy.SocksPort);
        await SendAsync(control, 5, 1, 0);
        await ReadExactAsync(control, 2);
        // 0.0.0.0:0: "I do not know yet where I will send from" (what most clients say).
        await SendAsync(control, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0);
        var reply = await ReadExactAsync(control, 10);
        Assert.That(reply[1], Is.EqualTo(0));
        var port = echo.EndPoint.Port;
        byte[] datagram = [0, 0, 0, 1, 127, 0, 0, 1, (byte)(port >> 8), (byte)port, .. "mine"u8];

        // Another user, on 127.0.0.1 like every local client, sends first.
        var stranger = AsUser(UdpProbe, Convert.ToHexString(datagram), proxy.SocksPort.ToString());

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await udp.SendToAsync(datagram, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, proxy.SocksPort));
        var buf = new byte[100];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var r = await udp.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);

        // Once bound, a datagram from the stranger does not reach the owner's association either.
        var later = AsUser(UdpProbe, Convert.ToHexString(datagram), proxy.SocksPort.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(stranger, Is.EqualTo("none"), "the stranger's datagram must not bind (or use) the association");
            Assert.That(buf[..r.ReceivedBytes], Is.EqualTo(datagram), "the client's own datagram is relayed");
            Assert.That(later, Is.EqualTo("none"));
        });
    }

    [Test]
    public async Task Forged_log_lines_never_appear_in_the_log()
    {
        await using var proxy = new ProxyHarness();
        const string forged = "2030-01-01T00:00:00.000Z access client=6.6.6.6:1 proto=socks5 target=forged";
        // SOCKS5: a domain name carrying a newline and a whole fake access line.
        using (var s = await ConnectAsync(proxy.SocksPort))
        {
            await SendAsync(s, 5, 1, 0);
            await ReadExactAsync(s, 2);
            var name = Encoding.ASCII.GetBytes("x\n" + forged);
            await SendAsync(s, [5, 1, 0, 3, (byte)name.Length, .. name, 0, 80]);
            var reply = await ReadExactAsync(s, 10);
            Assert.That(reply[1], Is.EqualTo(4), "a bad name is 'host unreachable'");
        }
        // HTTP CONNECT: a target with a bare newline and a terminal escape (HTTP heads split on CRLF only).
        using (var s = await ConnectAsync(proxy.HttpPort))
        {
            await SendAsync(s, Encoding.Latin1.GetBytes("CONNECT evil\u001b[2J\nforged.example:443 HTTP/1.1\r\nHost: x\r\n\r\n"));
            var answer = Encoding.ASCII.GetString(await ReadToEndAsync(s));
            Assert.That(answer, Does.StartWith("HTTP/1.1 502"), "a bad name is 'host unreachable'");
        }
        await Task.Delay(300);
        var lines = proxy.LogText.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines.Where(l => l.StartsWith("2030-", StringComparison.Ordinal)), Is.Empty, proxy.LogText);
            Assert.That(proxy.LogText, Does.Contain("target=x\\x0a2030-01-01"), "the attempt is logged, its newline escaped");
            Assert.That(proxy.LogText, Does.Contain("target=evil\\x1b[2J\\x0aforged.example"), "and the CONNECT target's");
            Assert.That(proxy.LogText, Does.Not.Contain("   at "), "no stack trace");
        });
    }
}
