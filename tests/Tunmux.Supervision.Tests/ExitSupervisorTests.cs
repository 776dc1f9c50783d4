using NUnit.Framework;
using Tunmux.Privileged.Tunnels.Supervision;

namespace Tunmux.Supervision.Tests;

/// <summary>
/// The mechanism with a fake clock, a fake interface and a fake exit: each <see cref="ExitSupervisor.CheckAsync"/>
/// is one periodic check, so a test walks through minutes of an exit's life without waiting.
/// </summary>
public class ExitSupervisorTests
{
    private FakeClock _clock = null!;
    private FakeInterface _iface = null!;
    private FakeControl _control = null!;
    private RecordingEvents _events = null!;
    private List<string> _log = null!;

    private ExitSupervisor Supervisor(int servers = 2, SupervisionSettings? settings = null, bool forwardsPort = false, int? port = null)
    {
        _clock = new FakeClock();
        _iface = new FakeInterface(_clock) { Handshake = _clock.UtcNow };
        _control = new FakeControl(_iface, servers);
        _events = new RecordingEvents();
        _log = [];
        return new ExitSupervisor(settings ?? new SupervisionSettings(), Enumerable.Range(1, servers).Select(i => "LAB#" + i).ToList(),
            0, 0, forwardsPort, port, _clock, _iface, _control, _events, _log.Add);
    }

    private async Task Tick(ExitSupervisor s, int seconds = 1)
    {
        for (var i = 0; i < seconds; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await s.CheckAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task A_dead_server_under_traffic_is_found_and_failed_over_within_fifteen_seconds()
    {
        await using var s = Supervisor();
        await Tick(s, 3);
        _control.Kill(0);
        var died = _clock.Monotonic;
        for (var i = 0; i < 30 && _events.Events.Count == 0; i++)
        {
            _iface.Send(500);   // a client keeps asking
            await Tick(s);
        }
        Assert.Multiple(() =>
        {
            Assert.That(_events.Events, Is.EqualTo(new[] { "failover 0->1 (1)" }));
            Assert.That(_clock.Monotonic - died, Is.LessThan(TimeSpan.FromSeconds(15)), "server death to failover with the defaults");
            Assert.That(_control.Calls, Does.Contain("rehandshake 0").And.Contain("switch 1"));
            Assert.That(_control.Calls.IndexOf("rehandshake 0"), Is.LessThan(_control.Calls.IndexOf("switch 1")), "the same server first");
            Assert.That(s.State, Is.EqualTo(ExitState.Up));
            Assert.That(s.Health(out _).Failovers, Is.EqualTo(1));
            Assert.That(_log, Has.Some.Contains("failed over from LAB#1 to LAB#2"));
        });
        // And it stays there, quietly.
        var calls = _control.Calls.Count;
        for (var i = 0; i < 20; i++)
        {
            _iface.Send(500);
            await Tick(s);
        }
        Assert.That(_control.Calls.Count, Is.EqualTo(calls));
    }

    [Test]
    public async Task A_clock_jump_fed_to_the_clock_triggers_an_immediate_rehandshake()
    {
        await using var s = Supervisor();
        await Tick(s, 2);
        _clock.Suspend(TimeSpan.FromHours(8));
        await s.CheckAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(_control.Calls.First(), Is.EqualTo("rehandshake 0"), "on the very first check after the resume");
            Assert.That(_log, Has.Some.Contains("resumed after 28800 s of suspend"));
            Assert.That(s.State, Is.EqualTo(ExitState.Up), "the server answered the new handshake");
            Assert.That(_events.Events, Is.Empty, "no failover when the server is fine");
        });
    }

    [Test]
    public async Task A_killed_proxy_is_restarted_at_once_and_the_third_crash_in_a_minute_fails_the_exit()
    {
        await using var s = Supervisor();
        _control.ProxyUp = false;
        await Tick(s);
        Assert.That(_control.Calls, Is.EqualTo(new[] { "restart-proxy" }));
        Assert.That(_control.ProxyUp, Is.True);

        _control.ProxyUp = false;
        await Tick(s, 5);
        _control.ProxyUp = false;
        await Tick(s, 5);
        Assert.Multiple(() =>
        {
            Assert.That(_control.Calls.Count(c => c == "restart-proxy"), Is.EqualTo(2));
            Assert.That(s.State, Is.EqualTo(ExitState.Failed));
            Assert.That(s.Health(out _).Reason, Does.Contain("crashed 3 times"));
            Assert.That(s.Health(out _).ProxyRestarts, Is.EqualTo(2));
        });
        await Tick(s, 5);
        Assert.That(_control.Calls.Count(c => c == "restart-proxy"), Is.EqualTo(2), "a failed exit is not restarted again");
    }

    [Test]
    public async Task A_proxy_that_does_not_start_again_counts_as_another_crash()
    {
        await using var s = Supervisor();
        _control.ProxyUp = false;
        _control.ProxyStartFails = true;
        await Tick(s);
        Assert.That(_control.Calls.Count(c => c == "restart-proxy"), Is.EqualTo(2), "at once, then after a second");
        Assert.That(s.State, Is.EqualTo(ExitState.Failed));
    }

    [Test]
    public async Task A_forwarded_port_is_renewed_on_schedule_and_mapped_again_at_once_after_a_failover()
    {
        await using var s = Supervisor(forwardsPort: true, port: 40000);
        _control.Port = 40000;
        await Tick(s, 44);
        Assert.That(_control.Calls.Where(c => c.StartsWith("map", StringComparison.Ordinal)), Is.Empty, "renewed after 45 s");
        await Tick(s, 1);
        Assert.That(_control.Calls.Where(c => c.StartsWith("map", StringComparison.Ordinal)), Is.EqualTo(new[] { "map 0 40000" }));
        await Tick(s, 45);
        Assert.That(_control.Calls.Count(c => c.StartsWith("map", StringComparison.Ordinal)), Is.EqualTo(2));

        _control.Kill(0);
        for (var i = 0; i < 30 && !_events.Events.Any(e => e.StartsWith("failover", StringComparison.Ordinal)); i++)
        {
            _iface.Send(100);
            await Tick(s);
        }
        Assert.Multiple(() =>
        {
            Assert.That(_control.Calls.Last(c => c.StartsWith("map", StringComparison.Ordinal)), Is.EqualTo("map 1 40000"), "the new server's gateway, at once");
            Assert.That(_events.Events, Is.EqualTo(new[] { "port 40001", "failover 0->1 (1)" }), "the hook learns the new port");
            Assert.That(s.Health(out _).ForwardedPort, Is.EqualTo(40001));
        });
    }

    [Test]
    public async Task A_port_mapping_that_failed_at_connect_is_tried_at_the_first_check()
    {
        await using var s = Supervisor(forwardsPort: true, port: null);
        _control.Port = 51000;
        await Tick(s);
        Assert.That(_events.Events, Is.EqualTo(new[] { "port 51000" }));
    }

    [Test]
    public async Task An_interface_that_disappears_fails_the_exit_and_nothing_more_is_tried()
    {
        await using var s = Supervisor();
        _iface.Gone = true;
        await Tick(s, 3);
        Assert.Multiple(() =>
        {
            Assert.That(s.State, Is.EqualTo(ExitState.Failed));
            Assert.That(s.Health(out _).Reason, Does.Contain("is gone"));
            Assert.That(_control.Calls, Is.Empty);
        });
    }

    [Test]
    public async Task Health_reports_counters_and_the_handshake_seen_by_the_last_check()
    {
        await using var s = Supervisor();
        _iface.Send(1234);
        await Tick(s);
        var health = s.Health(out var handshake);
        Assert.Multiple(() =>
        {
            Assert.That(health.State, Is.EqualTo("up"));
            Assert.That(health.RxBytes, Is.EqualTo(1234));
            Assert.That(health.TxBytes, Is.EqualTo(1234));
            Assert.That(health.Supervised, Is.True);
            Assert.That(health.Servers, Is.EqualTo(2));
            Assert.That(health.Failover, Is.True);
            Assert.That(handshake, Is.EqualTo(_iface.Handshake));
        });
    }

    [TestCase(0.0, 4.0)]
    [TestCase(1.0, 3.0)]
    [TestCase(3.999, 0.001)]
    [TestCase(4.0, 4.0)]
    [TestCase(10.5, 1.5)]
    public void Checks_wake_at_the_next_multiple_of_their_interval_so_exits_share_one_wake_up(double now, double expected)
    {
        var wait = ExitSupervisor.UntilNextTick(TimeSpan.FromSeconds(now), TimeSpan.FromSeconds(4));
        Assert.That(wait.TotalSeconds, Is.EqualTo(expected).Within(1e-6));
    }
}
