using System.Buffers.Binary;
using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>What one client can make the daemon hold: connections, leases, a stalled frame, log lines.</summary>
[NonParallelizable]
public class DaemonResourceTests
{
    [Test]
    public void A_stalled_frame_and_a_silent_client_are_hung_up_on()
    {
        Requires.Root("the daemon runs as root");
        using var sandbox = new DaemonSandbox();
        sandbox.StartDaemon(["--authorized-group", "root"], netns: null, env: e => e["TUNMUX_PRIVILEGED_READ_TIMEOUT_MS"] = "800");
        using var stalled = new RawClient(sandbox.Paths.SocketPath);
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1 << 20);
        // A 1 MiB frame announced, ten bytes sent, then nothing.
        stalled.SendRaw([.. header, .. new byte[10]]);
        using var silent = new RawClient(sandbox.Paths.SocketPath);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stalledEnd = stalled.Receive();
        var silentEnd = silent.Receive();
        Assert.Multiple(() =>
        {
            Assert.That(stalledEnd, Is.Null, "the connection is closed");
            Assert.That(silentEnd, Is.Null);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)));
            Assert.That(sandbox.LogText, Does.Contain("no complete request within"));
            Assert.That(RawClient.TryPing(sandbox.Paths.SocketPath), Is.True, "the daemon still answers");
        });
    }

    [Test]
    public void Clients_and_leases_are_capped()
    {
        Requires.Root("the daemon runs as root");
        using var sandbox = new DaemonSandbox();
        sandbox.StartDaemon("--authorized-group", "root");
        var held = new List<RawClient>();
        try
        {
            using var leaser = new RawClient(sandbox.Paths.SocketPath);
            var leases = Enumerable.Range(0, DaemonLifecycle.MaxLeasesPerConnection + 1)
                .Select(i => leaser.Call($$"""{"v":1,"id":{{i}},"op":"lease.acquire"}""").GetProperty("ok").GetBoolean()).ToList();
            Assert.That(leases.Count(ok => ok), Is.EqualTo(DaemonLifecycle.MaxLeasesPerConnection), "one past the cap is refused");

            for (var i = 0; i < PrivilegedDaemon.MaxClients + 5; i++) held.Add(new RawClient(sandbox.Paths.SocketPath));
            Thread.Sleep(300);
            Assert.That(RawClient.TryPing(sandbox.Paths.SocketPath), Is.False, "past the cap a new client is closed at once");
            foreach (var c in held) c.Dispose();
            held.Clear();
            DaemonSandbox.WaitUntil(() => RawClient.TryPing(sandbox.Paths.SocketPath), TimeSpan.FromSeconds(5), "served again once clients left");
            Assert.That(sandbox.LogText, Does.Contain($"more than {PrivilegedDaemon.MaxClients} clients at once"));
        }
        finally
        {
            foreach (var c in held) c.Dispose();
        }
    }

    [Test]
    public void The_daemon_log_rotates_by_size_and_floods_are_counted_not_written()
    {
        using var dir = new TempDir();
        var path = dir.Combine("state", "daemon.log");
        using (var log = DaemonLog.Open(path, maxBytes: 4096))
        {
            for (var i = 0; i < 200; i++) log.Info($"line {i} " + new string('x', 60));
            var budget = new LogBudget(log, "test", perMinute: 5);
            for (var i = 0; i < 100; i++) budget.Warn($"denied #{i}");
        }
        var current = File.ReadAllText(path);
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(path + ".1"), Is.True, "one older generation is kept");
            Assert.That(new FileInfo(path).Length, Is.LessThan(4096 + 200));
            Assert.That(current.Split('\n').Count(l => l.Contains("denied #")), Is.EqualTo(5), "20 a minute in production, 5 here");
        });
    }
}
