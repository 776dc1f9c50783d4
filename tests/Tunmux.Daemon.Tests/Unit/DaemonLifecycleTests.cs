using NUnit.Framework;
using Tunmux.Privileged.Daemon;

namespace Tunmux.Daemon.Tests.Unit;

public class DaemonLifecycleTests
{
    [Test]
    public void Shutdown_if_idle_is_refused_by_a_daemon_that_was_not_autostarted()
    {
        using var life = new DaemonLifecycle(shutdownAllowed: false, idleTimeoutMs: null);
        life.RequestStarted();
        var r = life.ShutdownIfIdle();
        life.RequestFinished();
        Assert.That(r.ShuttingDown, Is.False);
        Assert.That(life.Stopping.IsCancellationRequested, Is.False);
    }

    [Test]
    public async Task Shutdown_waits_for_the_last_lease()
    {
        using var life = new DaemonLifecycle(shutdownAllowed: true, idleTimeoutMs: null);
        life.ConnectionOpened();
        life.ConnectionOpened();
        var a = life.AcquireLease(1, null);
        life.AcquireLease(2, "second");

        life.RequestStarted();
        Assert.That(life.ShutdownIfIdle().ShuttingDown, Is.False);
        life.RequestFinished();
        Assert.That(life.Stopping.IsCancellationRequested, Is.False);

        Assert.That(life.ReleaseLease(a), Is.True);
        Assert.That(life.Stopping.IsCancellationRequested, Is.False);
        life.ConnectionClosed(1);
        // A command that dies without releasing: its connection closing ends its lease.
        life.ConnectionClosed(2);
        await Task.Delay(DaemonLifecycle.ShutdownLinger * 3);
        Assert.That(life.Stopping.IsCancellationRequested, Is.True);
        Assert.That(life.StopReason, Does.Contain("shutdown_if_idle"));
    }

    [Test]
    public async Task Supervised_exits_hold_a_lease_that_keeps_an_autostarted_daemon_whatever_its_autostop()
    {
        using var life = new DaemonLifecycle(shutdownAllowed: true, idleTimeoutMs: 200);
        var supervision = (Tunmux.Privileged.Tunnels.Supervision.IDaemonLease)life;
        supervision.Acquire();
        life.ConnectionOpened();
        life.RequestStarted();
        var asked = life.ShutdownIfIdle();
        life.RequestFinished();
        life.ConnectionClosed(1);
        // Well past the idle timeout and the linger after the last connection.
        await Task.Delay(TimeSpan.FromMilliseconds(200) * 4 + DaemonLifecycle.ShutdownLinger * 3);
        Assert.Multiple(() =>
        {
            Assert.That(asked.ShuttingDown, Is.False);
            Assert.That(asked.Reason, Does.Contain("supervising exits"));
            Assert.That(life.Stopping.IsCancellationRequested, Is.False, "neither shutdown_if_idle nor the idle timeout ends it");
        });
        // The last supervised exit went down: now it may stop.
        supervision.Release();
        await Task.Delay(TimeSpan.FromMilliseconds(200) * 4 + DaemonLifecycle.ShutdownLinger * 3);
        Assert.That(life.Stopping.IsCancellationRequested, Is.True);
    }

    [Test]
    public async Task A_connection_arriving_during_the_linger_keeps_the_daemon()
    {
        using var life = new DaemonLifecycle(shutdownAllowed: true, idleTimeoutMs: null);
        life.ConnectionOpened();
        life.RequestStarted();
        Assert.That(life.ShutdownIfIdle().ShuttingDown, Is.True);
        life.RequestFinished();
        life.ConnectionClosed(1);
        life.ConnectionOpened();
        await Task.Delay(DaemonLifecycle.ShutdownLinger * 3);
        Assert.That(life.Stopping.IsCancellationRequested, Is.False);
        life.ConnectionClosed(2);
        await Task.Delay(DaemonLifecycle.ShutdownLinger * 3);
        Assert.That(life.Stopping.IsCancellationRequested, Is.True);
    }

    [Test]
    public async Task Idle_timeout_stops_only_without_connections()
    {
        using var life = new DaemonLifecycle(shutdownAllowed: true, idleTimeoutMs: 150);
        life.ConnectionOpened();
        await Task.Delay(400);
        Assert.That(life.Stopping.IsCancellationRequested, Is.False, "an open connection keeps the daemon up");
        life.ConnectionClosed(1);
        await Task.Delay(600);
        Assert.That(life.Stopping.IsCancellationRequested, Is.True);
        Assert.That(life.StopReason, Does.Contain("idle"));
    }
}
