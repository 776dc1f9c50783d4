using NUnit.Framework;
using Tunmux.Privileged.Tunnels.Supervision;

namespace Tunmux.Supervision.Tests;

/// <summary>The policy alone, step by step: each input carries its time, so there is no waiting and no I/O.</summary>
public class SupervisorPolicyTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly SupervisionSettings _settings = new();
    private FakeClock _clock = null!;
    private long _rx;
    private long _tx;
    private DateTimeOffset? _handshake;

    [SetUp]
    public void Reset()
    {
        _clock = new FakeClock();
        _rx = _tx = 0;
        _handshake = _clock.UtcNow;
    }

    private SupervisorPolicy Policy(int profiles = 1, SupervisionSettings? settings = null) =>
        new(settings ?? _settings, profiles, 0, _clock.Monotonic);

    /// <summary>A policy whose exit has stood still for one check more than it takes to count as quiet.</summary>
    private SupervisorPolicy QuietPolicy()
    {
        var p = Policy();
        for (var i = 0; i <= _settings.QuietChecks; i++) Check(p);
        return p;
    }

    private SupervisorAction Check(SupervisorPolicy p, TimeSpan? after = null)
    {
        _clock.Advance(after ?? Second);
        return p.OnCheck(_clock.Monotonic, _clock.Boottime, _clock.UtcNow, new InterfaceSnapshot(_rx, _tx, _handshake, "peer", null));
    }

    [Test]
    public void An_idle_healthy_exit_is_probed_only_every_idle_interval()
    {
        var p = Policy();
        var probes = 0;
        for (var s = 0; s < 95; s++)
        {
            if (Check(p) is SupervisorAction.Probe)
            {
                probes++;
                Assert.That(p.OnProbe(_clock.Monotonic, answered: true), Is.InstanceOf<SupervisorAction.Wait>());
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(probes, Is.EqualTo(3), "one probe per 30 s of silence");
            Assert.That(p.State, Is.EqualTo(ExitState.Up));
        });
    }

    [Test]
    public void An_exit_whose_counters_stand_still_counts_as_quiet_and_traffic_ends_that_at_once()
    {
        var p = Policy();
        Check(p);
        Assert.That(p.Quiet, Is.False, "one check proves nothing yet");
        for (var i = 1; i < _settings.QuietChecks; i++) Check(p);
        Assert.That(p.Quiet, Is.False, $"quiet after {_settings.QuietChecks} unchanged checks, not before");
        Check(p);
        Assert.That(p.Quiet, Is.True);
        _tx += 100;
        _rx += 300;
        Check(p, _settings.IdleCheckInterval);
        Assert.That(p.Quiet, Is.False, "traffic, even answered, brings back the short interval");
    }

    [Test]
    public void Traffic_first_seen_after_an_idle_wait_is_dated_back_so_a_dead_server_is_found_as_soon_as_on_a_busy_exit()
    {
        var p = QuietPolicy();
        Assert.That(p.Quiet, Is.True);
        // The traffic may have begun right after the previous read, IdleCheckInterval - CheckInterval before this one.
        _tx += 100;
        Assert.That(Check(p, _settings.IdleCheckInterval), Is.InstanceOf<SupervisorAction.Wait>());
        Assert.That(p.Quiet, Is.False);
        var seen = 0;
        var dated = _settings.IdleCheckInterval - _settings.CheckInterval;
        while (Check(p) is SupervisorAction.Wait) seen++;
        Assert.That(TimeSpan.FromSeconds(seen + 1) + dated, Is.EqualTo(_settings.TrafficTimeout),
            "probed TrafficTimeout after the earliest moment the traffic could have started");
    }

    [Test]
    public void A_keepalive_is_not_traffic_that_awaits_an_answer()
    {
        var p = QuietPolicy();
        for (var s = 0; s < 25; s++)
        {
            // A passive keepalive 10 s after the last answer, and a persistent one every few seconds: neither is answered.
            if (s % 5 == 0) _tx += SupervisorPolicy.KeepaliveBytes;
            Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Wait>(), $"second {s}");
            Assert.That(p.Quiet, Is.True, $"second {s}");
        }
        _tx += 64;
        Check(p);
        Assert.That(p.Quiet, Is.False, "anything larger is a packet with a payload");
    }

    [Test]
    public void An_idle_exits_own_answered_probe_does_not_end_its_quiet()
    {
        var p = QuietPolicy();
        Assert.That(p.Quiet, Is.True);
        while (Check(p, _settings.IdleCheckInterval) is not SupervisorAction.Probe) { }
        // The query (17 bytes in a padded transport message) and its answer.
        _tx += 80;
        _rx += 80;
        Assert.That(p.OnProbe(_clock.Monotonic, answered: true), Is.InstanceOf<SupervisorAction.Wait>());
        Assert.That(Check(p, _settings.IdleCheckInterval), Is.InstanceOf<SupervisorAction.Wait>());
        Assert.That(p.Quiet, Is.True, "what the probe sent and received is the probe's, not traffic");
        // Only that one change is the probe's: traffic after it is traffic again, and unanswered it is found.
        _tx += 100;
        Check(p, _settings.IdleCheckInterval);
        Assert.That(p.Quiet, Is.False);
        var seen = 0;
        while (Check(p) is SupervisorAction.Wait) seen++;
        Assert.That(seen, Is.LessThan((int)_settings.TrafficTimeout.TotalSeconds), "unanswered traffic is still found");
    }

    [Test]
    public void An_answered_probe_that_confirms_suspect_traffic_does_not_hide_the_next_change()
    {
        var p = Policy();
        Check(p);
        _tx += 100;
        SupervisorAction a;
        do a = Check(p); while (a is SupervisorAction.Wait);
        Assert.That(a, Is.InstanceOf<SupervisorAction.Probe>());
        Assert.That(a.Reason, Does.StartWith("traffic sent"));
        _rx += 80;
        p.OnProbe(_clock.Monotonic, answered: true);
        _tx += 100;
        Check(p);
        Assert.That(p.Quiet, Is.False, "after a confirming probe, the next change counts as traffic");
    }

    [Test]
    public void A_late_check_on_a_busy_exit_is_not_dated_back()
    {
        var p = Policy();
        _tx += 100;
        _rx += 100;
        Check(p);
        Assert.That(p.Quiet, Is.False);
        // A check delayed (a busy machine, a probe in between) while traffic flowed: the silence starts when seen.
        _tx += 100;
        Check(p, TimeSpan.FromSeconds(4));
        var seen = 0;
        while (Check(p) is SupervisorAction.Wait) seen++;
        Assert.That(TimeSpan.FromSeconds(seen + 1), Is.EqualTo(_settings.TrafficTimeout));
    }

    [Test]
    public void Traffic_answered_keeps_the_exit_up_without_a_single_probe()
    {
        var p = Policy();
        for (var s = 0; s < 120; s++)
        {
            _tx += 1000;
            _rx += 5000;
            Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Wait>(), $"second {s}");
        }
    }

    [Test]
    public void Traffic_unanswered_is_probed_then_rehandshaken_then_failed_over_to_the_next_ranked_server()
    {
        var p = Policy(profiles: 3);
        _tx += 100;
        Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Wait>(), "one second of silence is normal");
        SupervisorAction a = SupervisorAction.None;
        var checks = 0;
        for (; checks < 10 && a is SupervisorAction.Wait; checks++)
        {
            _tx += 100;
            a = Check(p);
        }
        Assert.That(a, Is.InstanceOf<SupervisorAction.Probe>());
        Assert.That(checks, Is.EqualTo(6), "found 5 s (the traffic timeout) after the first check that saw traffic go unanswered");
        Assert.That(a.Reason, Does.Contain("with nothing received"));

        // Unanswered traffic and an unanswered probe agree: the same server gets a new handshake at once.
        a = p.OnProbe(_clock.Monotonic, answered: false);
        Assert.That(a, Is.InstanceOf<SupervisorAction.Rehandshake>());
        Assert.That(p.State, Is.EqualTo(ExitState.Degraded));

        a = p.OnRehandshake(_clock.Monotonic, succeeded: false);
        Assert.That(a, Is.EqualTo(new SupervisorAction.Failover(1, a.Reason)));
        Assert.That(p.State, Is.EqualTo(ExitState.FailingOver));

        a = p.OnSwitched(_clock.Monotonic, 1, succeeded: true);
        Assert.Multiple(() =>
        {
            Assert.That(a, Is.InstanceOf<SupervisorAction.Wait>());
            Assert.That(p.State, Is.EqualTo(ExitState.Up));
            Assert.That(p.Current, Is.EqualTo(1));
            Assert.That(p.Failovers, Is.EqualTo(1));
            Assert.That(p.Reason, Does.Contain("failed over to server 2 of 3"));
        });
    }

    [Test]
    public void An_idle_exit_needs_two_unanswered_probes_before_a_new_handshake()
    {
        var p = Policy();
        var a = Check(p, TimeSpan.FromSeconds(31));
        Assert.That(a, Is.InstanceOf<SupervisorAction.Probe>());
        a = p.OnProbe(_clock.Monotonic, false);
        Assert.That(a, Is.InstanceOf<SupervisorAction.Probe>(), "one lost datagram is not a dead tunnel");
        Assert.That(p.OnProbe(_clock.Monotonic, false), Is.InstanceOf<SupervisorAction.Rehandshake>());
    }

    [Test]
    public void A_rehandshake_that_works_keeps_the_server()
    {
        var p = Policy(profiles: 2);
        Assert.That(p.OnProbe(_clock.Monotonic, false), Is.InstanceOf<SupervisorAction.Probe>());
        Assert.That(p.OnProbe(_clock.Monotonic, false), Is.InstanceOf<SupervisorAction.Rehandshake>());
        Assert.That(p.OnRehandshake(_clock.Monotonic, succeeded: true), Is.InstanceOf<SupervisorAction.Wait>());
        Assert.Multiple(() =>
        {
            Assert.That(p.State, Is.EqualTo(ExitState.Up));
            Assert.That(p.Current, Is.Zero);
            Assert.That(p.Failovers, Is.Zero);
        });
    }

    [Test]
    public void A_resume_from_suspend_forces_a_new_handshake_at_once()
    {
        var p = Policy();
        Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Wait>());
        _clock.Suspend(TimeSpan.FromMinutes(40));
        var a = Check(p, TimeSpan.FromMilliseconds(10));
        Assert.That(a, Is.InstanceOf<SupervisorAction.Rehandshake>());
        Assert.That(a.Reason, Does.Contain("resumed after 2400 s of suspend"));
    }

    [Test]
    public void A_stepped_wall_clock_forces_a_new_handshake_too()
    {
        var p = Policy();
        Check(p);
        _clock.StepWall(TimeSpan.FromHours(-2));
        Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Rehandshake>().With.Property("Reason").Contains("wall clock jumped"));
    }

    [Test]
    public void A_stale_handshake_while_sending_is_probed()
    {
        var p = Policy();
        _handshake = _clock.UtcNow - TimeSpan.FromMinutes(4);
        _tx += 10;
        _rx += 10;
        Check(p);
        _tx += 10;
        _rx += 10;
        Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Probe>().With.Property("Reason").Contains("latest handshake"));
    }

    [Test]
    public void Counters_that_start_over_after_the_peer_was_set_again_are_not_traffic()
    {
        var p = Policy();
        _tx = 5000;
        _rx = 9000;
        Check(p);
        _tx = 10;
        _rx = 0;
        for (var s = 0; s < 6; s++) Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Wait>(), $"second {s}");
    }

    [Test]
    public void Without_failover_a_dead_server_fails_the_exit_and_is_retried_later()
    {
        var settings = _settings with { Failover = false };
        var p = Policy(profiles: 3, settings);
        p.OnProbe(_clock.Monotonic, false);
        p.OnProbe(_clock.Monotonic, false);
        Assert.That(p.OnRehandshake(_clock.Monotonic, false), Is.InstanceOf<SupervisorAction.Wait>());
        Assert.That(p.State, Is.EqualTo(ExitState.Failed));
        Assert.That(p.Reason, Does.Contain("failover is off"));
        Assert.That(Check(p, TimeSpan.FromSeconds(29)), Is.InstanceOf<SupervisorAction.Wait>());
        Assert.That(Check(p, TimeSpan.FromSeconds(2)), Is.InstanceOf<SupervisorAction.Rehandshake>(), "tried again after 30 s");
    }

    [Test]
    public void When_every_server_is_dead_each_is_tried_once_then_the_exit_fails_and_a_new_round_starts_later()
    {
        var p = Policy(profiles: 3);
        p.OnProbe(_clock.Monotonic, false);
        p.OnProbe(_clock.Monotonic, false);
        var a = p.OnRehandshake(_clock.Monotonic, false);
        var tried = new List<int>();
        while (a is SupervisorAction.Failover f)
        {
            tried.Add(f.To);
            a = p.OnSwitched(_clock.Monotonic, f.To, succeeded: false);
        }
        Assert.Multiple(() =>
        {
            Assert.That(tried, Is.EqualTo(new[] { 1, 2, 0 }), "the ranked order after the dead one, then the first choice again");
            Assert.That(p.State, Is.EqualTo(ExitState.Failed));
            Assert.That(p.Reason, Does.Contain("no server answered (tried 3)"));
        });
        var retry = Check(p, TimeSpan.FromSeconds(31));
        Assert.That(retry, Is.InstanceOf<SupervisorAction.Failover>());
        Assert.That(p.OnSwitched(_clock.Monotonic, ((SupervisorAction.Failover)retry).To, succeeded: true), Is.InstanceOf<SupervisorAction.Wait>());
        Assert.That(p.State, Is.EqualTo(ExitState.Up));
    }

    [Test]
    public void An_exit_with_nothing_to_probe_is_judged_by_unanswered_traffic_alone()
    {
        var p = Policy();
        _tx += 10;
        SupervisorAction a = SupervisorAction.None;
        for (var s = 0; s < 10 && a is SupervisorAction.Wait; s++)
        {
            _tx += 10;
            a = Check(p);
        }
        Assert.That(a, Is.InstanceOf<SupervisorAction.Probe>());
        Assert.That(p.OnProbe(_clock.Monotonic, answered: null), Is.InstanceOf<SupervisorAction.Rehandshake>());
    }

    [Test]
    public void Proxy_crashes_restart_it_with_a_back_off_and_the_third_within_a_minute_fails_the_exit()
    {
        var p = Policy();
        var first = p.OnProxyExited(_clock.Monotonic, "killed");
        _clock.Advance(TimeSpan.FromSeconds(10));
        var second = p.OnProxyExited(_clock.Monotonic, "killed");
        _clock.Advance(TimeSpan.FromSeconds(10));
        var third = p.OnProxyExited(_clock.Monotonic, "out of memory");
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(new SupervisorAction.RestartProxy(TimeSpan.Zero, first.Reason)));
            Assert.That(second, Is.EqualTo(new SupervisorAction.RestartProxy(Second, second.Reason)));
            Assert.That(third, Is.InstanceOf<SupervisorAction.Wait>());
            Assert.That(p.State, Is.EqualTo(ExitState.Failed));
            Assert.That(p.Reason, Does.Contain("crashed 3 times within 60 s").And.Contain("out of memory"));
            Assert.That(p.ProxyGaveUp, Is.True);
            Assert.That(Check(p), Is.InstanceOf<SupervisorAction.Wait>(), "a failed exit is left alone");
        });
    }

    [Test]
    public void Proxy_crashes_a_minute_apart_never_add_up()
    {
        var p = Policy();
        for (var i = 0; i < 10; i++)
        {
            Assert.That(p.OnProxyExited(_clock.Monotonic, null), Is.EqualTo(new SupervisorAction.RestartProxy(TimeSpan.Zero, "the proxy exited")));
            _clock.Advance(TimeSpan.FromSeconds(61));
        }
        Assert.That(p.ProxyRestarts, Is.EqualTo(10));
    }
}
