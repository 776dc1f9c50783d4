using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using NUnit.Framework;
using Tunmux.Privileged.Proxy.Server;
using Tunmux.Proxy.Tests.Support;
using static Tunmux.Proxy.Tests.Support.Raw;

namespace Tunmux.Proxy.Tests;

/// <summary>
/// Bulk relays switch to splice(2) after a full buffer; these check the bytes, the half-close,
/// the counters, the idle timeout, that the pipes are closed, and the buffered fallback.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class SpliceRelayTests
{
    private const int Large = 48 * 1024 * 1024;

    [Test]
    public async Task LargeEchoBothWaysIsByteExactAndCounted()
    {
        await using var proxy = new ProxyHarness();
        using var echo = new TcpEcho(IPAddress.Loopback);
        var pipesBefore = PipeCount();
        var splicedBefore = Relay.SplicedDirections;
        await EchoThroughAsync(proxy, echo, Large);
        Assert.That(Relay.SplicedDirections - splicedBefore, Is.EqualTo(2), "both directions went through splice");
        await WaitForAsync(() => proxy.LogText.Contains($"up={Large} down={Large}"), "access log counts every byte both ways");
        await WaitForAsync(() => PipeCount() <= pipesBefore, $"pipes closed after the relay (before {pipesBefore}, now {PipeCount()})");
    }

    [Test]
    public async Task FallbackWithoutSpliceRelaysTheSameBytes()
    {
        Relay.SpliceEnabled = false;
        try
        {
            await using var proxy = new ProxyHarness();
            using var echo = new TcpEcho(IPAddress.Loopback);
            var pipesBefore = PipeCount();
            var splicedBefore = Relay.SplicedDirections;
            await EchoThroughAsync(proxy, echo, 8 * 1024 * 1024);
            Assert.That(Relay.SplicedDirections, Is.EqualTo(splicedBefore), "no splice when it is off");
            Assert.That(PipeCount(), Is.LessThanOrEqualTo(pipesBefore), "the buffered relay makes no pipe");
        }
        finally
        {
            Relay.SpliceEnabled = OperatingSystem.IsLinux();
        }
    }

    [Test]
    public async Task UpstreamHalfCloseReachesTheClientWhileTheClientKeepsSending()
    {
        await using var proxy = new ProxyHarness();
        using var listener = TcpEcho.Listen(IPAddress.Loopback, 0);
        var download = RandomNumberGenerator.GetBytes(Large / 4);
        var upload = RandomNumberGenerator.GetBytes(Large / 4);
        // Upstream: sends everything, half-closes, then reads what the client sends until its end of stream.
        var server = Task.Run(async () =>
        {
            using var s = await listener.AcceptAsync();
            await s.SendAsync(download, SocketFlags.None);
            s.Shutdown(SocketShutdown.Send);
            return await ReadToEndAsync(s, TimeSpan.FromSeconds(60));
        });

        using var c = await ConnectAsync(proxy.SocksPort);
        Assert.That((await SocksConnectAsync(c, (IPEndPoint)listener.LocalEndPoint!))[1], Is.EqualTo(0));
        var received = await ReadToEndAsync(c, TimeSpan.FromSeconds(60));
        Assert.That(SHA256.HashData(received), Is.EqualTo(SHA256.HashData(download)), "download, then end of stream");
        // The reverse direction is still open after the upstream's half-close.
        await c.SendAsync(upload, SocketFlags.None);
        c.Shutdown(SocketShutdown.Send);
        var got = await server;
        Assert.That(SHA256.HashData(got), Is.EqualTo(SHA256.HashData(upload)), "upload after the half-close");
    }

    [Test]
    public async Task SplicedRelayStillEndsOnIdleTimeout()
    {
        await using var proxy = new ProxyHarness(o => new ProxyServerOptions
        {
            SocksListeners = o.SocksListeners, SocksUdpSockets = o.SocksUdpSockets, HttpListeners = o.HttpListeners,
            AccessLog = true, IdleTimeout = TimeSpan.FromSeconds(1), SweepInterval = TimeSpan.FromMilliseconds(100),
        });
        using var echo = new TcpEcho(IPAddress.Loopback);
        using var s = await ConnectAsync(proxy.SocksPort);
        Assert.That((await SocksConnectAsync(s, echo.EndPoint))[1], Is.EqualTo(0));
        var payload = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var echoed = ReadExactAsync(s, payload.Length);
        await s.SendAsync(payload, SocketFlags.None);
        Assert.That(SHA256.HashData(await echoed), Is.EqualTo(SHA256.HashData(payload)));
        // Now idle: the sweeper closes the relay (the client sees end of stream) and logs why.
        var sw = Stopwatch.StartNew();
        Assert.That(await ReadToEndAsync(s, TimeSpan.FromSeconds(10)), Is.Empty);
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        await WaitForAsync(() => proxy.LogText.Contains("outcome=idle-timeout"), "idle timeout logged");
    }

    /// <summary>Sends <paramref name="size"/> random bytes through the proxy to the echo server while reading them back; compares hashes.</summary>
    private static async Task EchoThroughAsync(ProxyHarness proxy, TcpEcho echo, int size)
    {
        var payload = RandomNumberGenerator.GetBytes(size);
        using var s = await ConnectAsync(proxy.SocksPort);
        Assert.That((await SocksConnectAsync(s, echo.EndPoint))[1], Is.EqualTo(0));
        var readAll = ReadToEndAsync(s, TimeSpan.FromSeconds(60));
        var send = Task.Run(async () =>
        {
            for (var off = 0; off < size; off += 1 << 20)
                await s.SendAsync(payload.AsMemory(off, Math.Min(1 << 20, size - off)), SocketFlags.None);
            s.Shutdown(SocketShutdown.Send);
        });
        var got = await readAll;
        await send;
        Assert.That(got.Length, Is.EqualTo(size));
        Assert.That(SHA256.HashData(got), Is.EqualTo(SHA256.HashData(payload)));
    }

    [Test]
    public void APipeBelowTheMinimumIsNotUsedAndLeavesNothingOpen()
    {
        var before = PipeCount();
        // What the kernel hands out once the proxy user's pipe budget is used up is this small.
        Assert.That(SplicePipe.TryCreate(8192), Is.Null, "a two-page pipe is refused: the relay stays buffered");
        Assert.That(PipeCount(), Is.EqualTo(before), "both ends of the refused pipe are closed");
        using var pipe = SplicePipe.TryCreate();
        Assert.That(pipe, Is.Not.Null);
        Assert.That(pipe!.Capacity, Is.GreaterThanOrEqualTo(SplicePipe.MinimumCapacity));
    }

    private static int PipeCount() => Directory.GetFileSystemEntries("/proc/self/fd")
        .Count(f => new FileInfo(f).LinkTarget is { } t && t.StartsWith("pipe:", StringComparison.Ordinal));

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        Assert.That(condition(), what);
    }
}
