using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using NUnit.Framework;
using Tunmux.Privileged;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Proxy;
using Tunmux.Proxy.Tests.Support;
using Tunmux.TestSupport;
using static Tunmux.Proxy.Tests.Support.Raw;

namespace Tunmux.Proxy.Tests;

/// <summary>A real proxy process launched into a namespace this test creates (needs root).</summary>
[TestFixture]
[NonParallelizable]
public sealed class LaunchTests
{
    private const int HttpPort = 8080, EchoPort = 7;
    private TestNetwork _net = null!;
    private TempDir _state = null!;
    private PrivilegedPaths _paths = null!;
    private ManagedPids _pids = null!;
    private ProxyLauncher _launcher = null!;
    private FixedHttp _http = null!;
    private TcpEcho _echo = null!;
    private UdpEcho _udpEcho = null!;
    private ProxyLaunchSpec _spec = null!;
    private int _pid;

    [OneTimeSetUp]
    public async Task SetUp()
    {
        Requires.Root();
        Requires.Command("setpriv", "util-linux");
        Requires.Command("dnsmasq", "dnsmasq");
        Requires.Command("curl", "curl");
        Environment.SetEnvironmentVariable("TUNMUX_EXECUTABLE", Path.Combine(AppContext.BaseDirectory, "tunmux"));
        // What a release runs: the native tunmux-proxy of the release layout the suite publishes
        // (build/test.sh sets TUNMUX_DIST); without one, this build's `tunmux privileged proxy`.
        Environment.SetEnvironmentVariable("TUNMUX_PROXY_EXECUTABLE", NativeProxy.Path);
        _state = new TempDir("tunmux-proxy-state-");
        _paths = new PrivilegedPaths(_state.Combine("run"), _state.Combine("lib"));
        _pids = new ManagedPids(_paths.ManagedPidsDir);
        _launcher = new ProxyLauncher(_paths, _pids, new ProcessRunner());
        _net = new TestNetwork();
        try
        {
            await _net.CreateAsync();
            _http = new FixedHttp(_net.ListenInInternet(HttpPort), "behind the tunnel");
            _echo = new TcpEcho(_net.ListenInInternet(EchoPort));
            _udpEcho = new UdpEcho(TestNetwork.SocketIn(_net.InternetNamespace, () => UdpEcho.Bind(TestNetwork.InternetSide, EchoPort)));
            _spec = new ProxyLaunchSpec("tbproxy", _net.VpnNamespace, FreePort(), FreePort(), AccessLog: true);
            _pid = await _launcher.StartAsync(_spec, CancellationToken.None);
        }
        catch
        {
            await TearDown();
            throw;
        }
    }

    [OneTimeTearDown]
    public async Task TearDown()
    {
        if (_launcher is not null && _spec is not null) await _launcher.StopAsync(_spec.Instance, CancellationToken.None);
        _http?.Dispose();
        _echo?.Dispose();
        _udpEcho?.Dispose();
        if (_net is not null) await _net.DisposeAsync();
        _state?.Dispose();
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Test, Order(1)]
    public void ProcessRunsUnprivilegedInsideTheNamespace()
    {
        var status = File.ReadAllLines($"/proc/{_pid}/status");
        Assert.That(status.Single(l => l.StartsWith("Uid:")), Does.Match(@"^Uid:\s+65534\s+65534\s+65534\s+65534$"));
        Assert.That(status.Single(l => l.StartsWith("Gid:")), Does.Match(@"^Gid:\s+65534\s+65534\s+65534\s+65534$"));
        Assert.That(status.Single(l => l.StartsWith("Groups:")).Trim(), Is.EqualTo("Groups:"));
        Assert.That(status.Single(l => l.StartsWith("NoNewPrivs:")), Does.EndWith("1"));
        Assert.That(status.Single(l => l.StartsWith("CapEff:")), Does.EndWith("0000000000000000"));
        // Its own caps, not one shared by every proxy of the service: a GC heap limit and a descriptor limit.
        Assert.That(File.ReadAllText($"/proc/{_pid}/environ").Split('\0'), Does.Contain("DOTNET_GCHeapHardLimit=0x10000000"));
        Assert.That(File.ReadAllLines($"/proc/{_pid}/limits").Single(l => l.StartsWith("Max open files")), Does.Contain(" 16384 "));
        Assert.That(Inode($"/proc/{_pid}/ns/net"), Is.EqualTo(Inode("/run/netns/" + _net.VpnNamespace)));
        Assert.That(File.ReadAllText(_paths.ProxyPidFile("tbproxy")).Trim(), Is.EqualTo(_pid.ToString()));
        Assert.That(_pids.IsManaged(_pid), Is.True);
        // The log is written by a background task: give the start line a moment.
        Assert.That(() => File.ReadAllText(_paths.ProxyLogFile("tbproxy")),
            Does.Contain("proxy tbproxy started").And.Contain("uid 65534").After(3000, 50));
        // Listeners on loopback only, both families when the host has ::1.
        var cmd = File.ReadAllText($"/proc/{_pid}/cmdline").Replace('\0', ' ');
        Assert.That(cmd, Does.Contain((NativeProxy.Path is null ? "privileged proxy" : "tunmux-proxy") + " --instance tbproxy"));
    }

    private static ulong Inode(string path)
    {
        var r = ProcessRunner.Default.RunCheckedAsync("stat", ["-L", "-c", "%i", path]).GetAwaiter().GetResult();
        return ulong.Parse(r.Trim());
    }

    [Test, Order(2)]
    public async Task NameResolvesThroughTheProxyAndNotOnTheHost()
    {
        var host = await ProcessRunner.Default.RunAsync("getent", ["hosts", TestNetwork.SecretName]);
        Assert.That(host.Succeeded, Is.False, "the host must not know the name");

        var url = $"http://{TestNetwork.SecretName}:{HttpPort}/";
        var socks = await Curl.RunAsync("--socks5-hostname", $"127.0.0.1:{_spec.SocksPort}", url);
        Assert.That(socks.StandardOutput, Is.EqualTo("behind the tunnel"), socks.StandardError);
        var http = await Curl.RunAsync("-x", $"http://127.0.0.1:{_spec.HttpPort}", url);
        Assert.That(http.StandardOutput, Is.EqualTo("behind the tunnel"), http.StandardError);
        if (Socket.OSSupportsIPv6)
        {
            var v6 = await Curl.RunAsync("-x", $"http://[::1]:{_spec.HttpPort}", url);
            Assert.That(v6.StandardOutput, Is.EqualTo("behind the tunnel"), v6.StandardError);
        }
        // Resolving on the host side (--socks5) fails: the name exists only in the tunnel's DNS.
        var local = await Curl.RunAsync("--socks5", $"127.0.0.1:{_spec.SocksPort}", url);
        Assert.That(local.ExitCode, Is.Not.Zero);
        // The origin saw the connection come from the namespace's side of the veth.
        Assert.That(_http.Peers, Does.Contain(TestNetwork.VpnSide));
    }

    [Test, Order(2)]
    public async Task UdpAssociateLeavesThroughTheNamespace()
    {
        using var control = await ConnectAsync(_spec.SocksPort);
        await SendAsync(control, 5, 1, 0);
        await ReadExactAsync(control, 2);
        await SendAsync(control, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0);
        var reply = await ReadExactAsync(control, 10);
        Assert.That(reply[1], Is.EqualTo(0));
        var relay = new IPEndPoint(new IPAddress(reply.AsSpan(4, 4)), reply[8] << 8 | reply[9]);
        Assert.That(relay, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, _spec.SocksPort)), "the relay is on the host's loopback");

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // By name: resolved by the proxy through the namespace's DNS.
        byte[] datagram = [0, 0, 0, 3, (byte)TestNetwork.SecretName.Length, .. System.Text.Encoding.ASCII.GetBytes(TestNetwork.SecretName),
            0, EchoPort, .. "through the tunnel"u8];
        await udp.SendToAsync(datagram, SocketFlags.None, relay);
        var buf = new byte[200];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var r = await udp.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        byte[] expected = [0, 0, 0, 1, .. TestNetwork.InternetSide.GetAddressBytes(), 0, EchoPort, .. "through the tunnel"u8];
        Assert.That(buf[..r.ReceivedBytes], Is.EqualTo(expected));
    }

    [Test, Order(3)]
    public async Task FiveHundredConcurrentTransfersHashVerified()
    {
        const int size = 128 * 1024;
        var target = new IPEndPoint(TestNetwork.InternetSide, EchoPort);
        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(async i =>
        {
            using var s = await ConnectAsync(_spec.SocksPort);
            // What is measured is that every transfer arrives whole; 500 handshakes at once on a busy machine
            // (the JIT build, without the release's native proxy) may take longer than one usually does.
            var reply = await SocksConnectAsync(s, target, TimeSpan.FromSeconds(60));
            if (reply[1] != 0) return false;
            var payload = new byte[size];
            new Random(i).NextBytes(payload);
            var reading = ReadToEndAsync(s, TimeSpan.FromSeconds(90));
            await s.SendAsync(payload, SocketFlags.None);
            s.Shutdown(SocketShutdown.Send);
            return SHA256.HashData(await reading).AsSpan().SequenceEqual(SHA256.HashData(payload));
        }));
        Assert.That(results.Count(ok => ok), Is.EqualTo(500));
    }

    [Test, Order(4)]
    public async Task TenThousandShortConnectionsLeakNoDescriptor()
    {
        var target = new IPEndPoint(TestNetwork.InternetSide, EchoPort);
        async Task Short()
        {
            using var s = await ConnectAsync(_spec.SocksPort);
            var reply = await SocksConnectAsync(s, target);
            Assert.That(reply[1], Is.EqualTo(0));
            await SendAsync(s, 1);
            await ReadExactAsync(s, 1);
        }
        async Task Run(int count, int parallel)
        {
            var next = 0;
            await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= count) await Short();
            }));
        }

        await Run(500, 50); // warm-up: the runtime opens its descriptors once
        var before = await SettledFdCount();
        var sw = Stopwatch.StartNew();
        await Run(10_000, 50);
        TestContext.Out.WriteLine($"10000 connections in {sw.Elapsed.TotalSeconds:0.00} s");
        var after = await SettledFdCount();
        // The runtime may map one more assembly file on the way; sockets, pipes and the rest must not grow.
        Assert.That(after, Is.EqualTo(before), "descriptors (other than assembly files) before and after 10,000 connections:\n" + FdList());
    }

    private string FdList() => string.Join("\n", Directory.GetFileSystemEntries($"/proc/{_pid}/fd")
        .Select(f => f + " -> " + new FileInfo(f).LinkTarget));

    private async Task<int> SettledFdCount()
    {
        // Closing is asynchronous: wait until the count stops moving.
        var last = -1;
        for (var i = 0; i < 50; i++)
        {
            var n = Directory.GetFileSystemEntries($"/proc/{_pid}/fd")
                .Count(f => new FileInfo(f).LinkTarget is { } t && !t.EndsWith(".dll", StringComparison.Ordinal));
            if (n == last) return n;
            last = n;
            await Task.Delay(100);
        }
        return last;
    }

    [Test, Order(5)]
    public async Task KillIsSeenAndStopCleansUp()
    {
        Assert.That(_launcher.RunningPid("tbproxy"), Is.EqualTo(_pid));
        Assert.That(() => File.ReadAllText(_paths.ProxyLogFile("tbproxy")), Does.Contain(" access client=127.0.0.1:").After(3000, 50));

        Process.GetProcessById(_pid).Kill();
        var sw = Stopwatch.StartNew();
        while (_launcher.RunningPid("tbproxy") is not null && sw.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(20);
        Assert.That(_launcher.RunningPid("tbproxy"), Is.Null, "a killed proxy shows as not running");

        await _launcher.StopAsync("tbproxy", CancellationToken.None);
        Assert.That(File.Exists(_paths.ProxyPidFile("tbproxy")), Is.False);
        Assert.That(_pids.Live(), Does.Not.Contain(_pid));
        await _launcher.StopAsync("tbproxy", CancellationToken.None); // idempotent

        // Start again (the ports are free again), then a clean stop by SIGTERM.
        _pid = await _launcher.StartAsync(_spec, CancellationToken.None);
        var r = await Curl.RunAsync("--socks5-hostname", $"127.0.0.1:{_spec.SocksPort}", $"http://{TestNetwork.SecretName}:{HttpPort}/");
        Assert.That(r.StandardOutput, Is.EqualTo("behind the tunnel"), r.StandardError);
        var pid = _pid;
        await _launcher.StopAsync("tbproxy", CancellationToken.None);
        Assert.That(Directory.Exists($"/proc/{pid}"), Is.False, "the process is gone");
        Assert.That(File.ReadAllText(_paths.ProxyLogFile("tbproxy")), Does.Contain("proxy tbproxy stopping"));
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, _spec.SocksPort));
    }

    [Test, Order(6)]
    public void BadSpecsAreRefusedWithOneLine()
    {
        Assert.ThrowsAsync<ArgumentException>(() => _launcher.StartAsync(_spec with { Instance = "../x" }, CancellationToken.None));
        Assert.ThrowsAsync<ArgumentException>(() => _launcher.StartAsync(_spec with { Namespace = "a b" }, CancellationToken.None));
        Assert.ThrowsAsync<ArgumentException>(() => _launcher.StartAsync(_spec with { HttpPort = _spec.SocksPort }, CancellationToken.None));
        var e = Assert.ThrowsAsync<InvalidOperationException>(() =>
            _launcher.StartAsync(_spec with { Instance = "tbnons", Namespace = "tbnonexistent" }, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("tbnonexistent"));
    }

    [Test, Order(7)]
    public async Task TheJitBuildServesWhereNoNativeProxyIsInstalled()
    {
        if (NativeProxy.Path is null) Assert.Ignore("needs the release layout (TUNMUX_DIST): without it every test here already runs the JIT build");
        var spec = _spec with { Instance = "tbjit", SocksPort = FreePort(), HttpPort = FreePort() };
        Environment.SetEnvironmentVariable("TUNMUX_PROXY_EXECUTABLE", null);
        try
        {
            var pid = await _launcher.StartAsync(spec, CancellationToken.None);
            Assert.That(File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '), Does.Contain("privileged proxy --instance tbjit"));
            var r = await Curl.RunAsync("--socks5-hostname", $"127.0.0.1:{spec.SocksPort}", $"http://{TestNetwork.SecretName}:{HttpPort}/");
            Assert.That(r.StandardOutput, Is.EqualTo("behind the tunnel"), r.StandardError);
        }
        finally
        {
            await _launcher.StopAsync(spec.Instance, CancellationToken.None);
            Environment.SetEnvironmentVariable("TUNMUX_PROXY_EXECUTABLE", NativeProxy.Path);
        }
    }
}
