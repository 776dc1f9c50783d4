using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Tunmux.Proxy.Tests.Support;
using Tunmux.TestSupport;
using static Tunmux.Proxy.Tests.Support.Raw;

namespace Tunmux.Proxy.Tests;

[TestFixture]
public sealed class HttpProxyTests
{
    private ProxyHarness _proxy = null!;
    private Origin _origin = null!;

    [OneTimeSetUp]
    public async Task StartOrigin() => _origin = await Origin.StartAsync();

    [OneTimeTearDown]
    public async Task StopOrigin() => await _origin.DisposeAsync();

    [SetUp]
    public void SetUp() => _proxy = new ProxyHarness(o => new()
    {
        SocksListeners = o.SocksListeners, SocksUdpSockets = o.SocksUdpSockets, HttpListeners = o.HttpListeners,
        // Short enough that the slow origin (5 s) is a quick 504, long enough for a first answer on a busy machine.
        AccessLog = true, ResponseTimeout = TimeSpan.FromSeconds(3),
    });

    [TearDown]
    public async Task TearDown() => await _proxy.DisposeAsync();

    private string HttpProxy => $"http://127.0.0.1:{_proxy.HttpPort}";

    [Test]
    public async Task A_chunk_size_that_would_overflow_is_refused()
    {
        // A plain origin on a socket of ours, so what reaches it can be seen byte for byte.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var received = Task.Run(async () =>
        {
            using var origin = await listener.AcceptAsync();
            return await ReadToEndAsync(origin, TimeSpan.FromSeconds(5));
        });
        using var s = await ConnectAsync(_proxy.HttpPort);
        // 7FFFFFFFFFFFFFFF + CRLF wraps a 64-bit length around; then a second chunk header that must never be read as data.
        await SendAsync(s, Encoding.ASCII.GetBytes(
            $"POST http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n"));
        var answer = await ReadToEndAsync(s, TimeSpan.FromSeconds(5));
        await Task.Delay(200);
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.ASCII.GetString(answer), Does.Not.Contain("200"), "no response is relayed for a broken body");
            Assert.That(_proxy.LogText, Does.Not.Contain("internal-error").And.Not.Contain("ArgumentOutOfRange"));
            Assert.That(_proxy.LogText, Does.Contain("outcome=error:IOException"), _proxy.LogText);
        });
        listener.Dispose();
        try { await received; } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    [Test]
    public async Task CurlSocks5()
    {
        Requires.Command("curl", "curl");
        var r = await Curl.RunAsync("--socks5", $"127.0.0.1:{_proxy.SocksPort}", $"http://127.0.0.1:{_origin.HttpPort}/hello");
        Assert.That(r.StandardOutput, Is.EqualTo("hello"), r.StandardError);
    }

    [Test]
    public async Task CurlSocks5HostnameResolvesInTheProxy()
    {
        Requires.Command("curl", "curl");
        // origin.test is known only to the proxy's resolver, not to this host.
        var r = await Curl.RunAsync("--socks5-hostname", $"127.0.0.1:{_proxy.SocksPort}", $"http://origin.test:{_origin.HttpPort}/hello");
        Assert.That(r.StandardOutput, Is.EqualTo("hello"), r.StandardError);
        var https = await Curl.RunAsync("-k", "--socks5-hostname", $"127.0.0.1:{_proxy.SocksPort}", $"https://origin.test:{_origin.HttpsPort}/hello");
        Assert.That(https.StandardOutput, Is.EqualTo("hello"), https.StandardError);
    }

    [Test]
    public async Task CurlHttpProxyPlainHttp()
    {
        Requires.Command("curl", "curl");
        using var dir = new TempDir();
        var r = await Curl.RunAsync("-x", HttpProxy, $"http://origin.test:{_origin.HttpPort}/bytes/200000", "-o", dir.Combine("out"));
        Assert.That(r.ExitCode, Is.Zero, r.StandardError);
        Assert.That(await File.ReadAllBytesAsync(dir.Combine("out")), Is.EqualTo(Origin.Bytes(200000)));
    }

    [Test]
    public async Task CurlHttpsThroughConnect()
    {
        Requires.Command("curl", "curl");
        var r = await Curl.RunAsync("-k", "-x", HttpProxy, $"https://origin.test:{_origin.HttpsPort}/hello");
        Assert.That(r.StandardOutput, Is.EqualTo("hello"), r.StandardError);
        var v6 = await Curl.RunAsync("-k", "-x", HttpProxy, "-p", $"https://127.0.0.1:{_origin.HttpsPort}/hello");
        Assert.That(v6.StandardOutput, Is.EqualTo("hello"), v6.StandardError);
    }

    [Test]
    public async Task CurlKeepAliveReusesTheConnection()
    {
        Requires.Command("curl", "curl");
        var url = $"http://origin.test:{_origin.HttpPort}/hello";
        var r = await Curl.RunAsync("-v", "-x", HttpProxy, url, url, url);
        Assert.That(r.StandardOutput, Is.EqualTo("hellohellohello"));
        Assert.That(r.StandardError, Does.Contain("Re-using existing").Or.Contain("Reusing existing"));
    }

    [Test]
    public async Task HopByHopAndProxyHeadersAreNotForwarded()
    {
        Requires.Command("curl", "curl");
        var r = await Curl.RunAsync("-x", HttpProxy, "-H", "Proxy-Authorization: Basic Zm9vOmJhcg==", "-H", "Proxy-Foo: 1",
            "-H", "Connection: X-Private", "-H", "X-Private: secret", "-H", "Keep-Alive: timeout=5", "-H", "X-Kept: yes",
            $"http://origin.test:{_origin.HttpPort}/headers");
        var headers = r.StandardOutput;
        Assert.That(headers, Does.Contain("X-Kept: yes"));
        Assert.That(headers, Does.Contain($"Host: origin.test:{_origin.HttpPort}"));
        Assert.That(headers, Does.Not.Contain("Proxy-").And.Not.Contain("X-Private").And.Not.Contain("Keep-Alive"));
    }

    [Test]
    public async Task PostBodiesContentLengthAndChunked()
    {
        Requires.Command("curl", "curl");
        using var dir = new TempDir();
        var file = dir.Combine("body");
        await File.WriteAllBytesAsync(file, Origin.Bytes(150_000));
        var url = $"http://origin.test:{_origin.HttpPort}/echo";
        var r = await Curl.RunAsync("-x", HttpProxy, "--data-binary", "@" + file, url, "-o", dir.Combine("out1"));
        Assert.That(r.ExitCode, Is.Zero, r.StandardError);
        Assert.That(await File.ReadAllBytesAsync(dir.Combine("out1")), Is.EqualTo(Origin.Bytes(150_000)));
        var c = await Curl.RunAsync("-x", HttpProxy, "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file, url, "-o", dir.Combine("out2"));
        Assert.That(c.ExitCode, Is.Zero, c.StandardError);
        Assert.That(await File.ReadAllBytesAsync(dir.Combine("out2")), Is.EqualTo(Origin.Bytes(150_000)));
    }

    [Test]
    public async Task ChunkedResponseIsForwarded()
    {
        Requires.Command("curl", "curl");
        using var dir = new TempDir();
        var r = await Curl.RunAsync("-x", HttpProxy, $"http://origin.test:{_origin.HttpPort}/chunked/25000", "-o", dir.Combine("out"));
        Assert.That(r.ExitCode, Is.Zero, r.StandardError);
        Assert.That(await File.ReadAllBytesAsync(dir.Combine("out")), Is.EqualTo(Origin.Bytes(25000)));
    }

    [Test]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        using var s = await ConnectAsync(_proxy.HttpPort);
        var host = $"origin.test:{_origin.HttpPort}";
        var req = $"GET http://{host}/hello HTTP/1.1\r\nHost: {host}\r\n\r\n" +
                  $"GET http://{host}/bytes/10 HTTP/1.1\r\nHost: {host}\r\n\r\n" +
                  $"GET http://{host}/hello HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";
        await s.SendAsync(Encoding.ASCII.GetBytes(req), SocketFlags.None);
        var text = Encoding.Latin1.GetString(await ReadToEndAsync(s));
        var statuses = text.Split("HTTP/1.1 200").Length - 1;
        Assert.That(statuses, Is.EqualTo(3), text);
        Assert.That(text.IndexOf("hello", StringComparison.Ordinal), Is.LessThan(text.LastIndexOf("Content-Length: 10", StringComparison.Ordinal)));
        Assert.That(text, Does.EndWith("hello\r\n0\r\n\r\n"), "the last chunked response is complete, then the connection closes");
        await _proxy.Log.DisposeAsync();
        Assert.That(_proxy.LogText, Does.Contain("requests=3"));
    }

    [TestCase("GET /relative HTTP/1.1\r\nHost: x\r\n\r\n", 400, TestName = "Origin-form is 400")]
    [TestCase("garbage\r\n\r\n", 400, TestName = "Garbage is 400")]
    [TestCase("GET http://origin.test/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, TestName = "Both framings is 400")]
    [TestCase("CONNECT nohostport HTTP/1.1\r\n\r\n", 400, TestName = "CONNECT without port is 400")]
    [TestCase("GET http://nowhere.test/ HTTP/1.1\r\n\r\n", 502, TestName = "Unknown host is 502")]
    [TestCase("CONNECT 127.0.0.1:{closed} HTTP/1.1\r\n\r\n", 502, TestName = "Refused CONNECT is 502")]
    [TestCase("GET http://origin.test:{port}/slow HTTP/1.1\r\n\r\n", 504, TestName = "Slow origin is 504")]
    public async Task ErrorAnswers(string request, int status)
    {
        using var s = await ConnectAsync(_proxy.HttpPort);
        request = request.Replace("{closed}", ClosedPort().ToString()).Replace("{port}", _origin.HttpPort.ToString());
        await s.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        var text = Encoding.ASCII.GetString(await ReadToEndAsync(s, TimeSpan.FromSeconds(8)));
        Assert.That(text, Does.StartWith($"HTTP/1.1 {status} "));
        Assert.That(text, Does.Contain("Connection: close"));
    }

    [Test]
    public async Task AccessLogHasOneLinePerConnection()
    {
        Requires.Command("curl", "curl");
        await Curl.RunAsync("-x", HttpProxy, $"http://origin.test:{_origin.HttpPort}/bytes/1234");
        await Curl.RunAsync("--socks5", $"127.0.0.1:{_proxy.SocksPort}", $"http://127.0.0.1:{_origin.HttpPort}/hello");
        await Task.Delay(200);
        await _proxy.Log.DisposeAsync();
        var lines = _proxy.LogText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(" access ")).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), _proxy.LogText);
        Assert.That(lines[0], Does.Match(@"^\d{4}-\d\d-\d\dT[\d:.]+Z access client=127\.0\.0\.1:\d+ proto=http target=origin\.test:\d+ up=\d+ down=\d+ duration_ms=\d+ requests=1 outcome=ok$"));
        Assert.That(lines[1], Does.Match(@"proto=socks5 target=127\.0\.0\.1:\d+ up=\d+ down=\d+ duration_ms=\d+ outcome=ok$"));
        var down = long.Parse(System.Text.RegularExpressions.Regex.Match(lines[0], @"down=(\d+)").Groups[1].Value);
        Assert.That(down, Is.GreaterThan(1234));
    }
}
