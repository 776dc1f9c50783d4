namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>The health of a supervised exit, as <c>status</c> shows it.</summary>
public enum ExitState
{
    Up,
    Degraded,
    FailingOver,
    Failed,
}

public static class ExitStates
{
    /// <summary><c>up</c>, <c>degraded</c>, <c>failing-over</c>, <c>failed</c>; <c>stale</c> is said by whoever finds the exit gone.</summary>
    public static string Name(ExitState state) => state switch
    {
        ExitState.Up => "up",
        ExitState.Degraded => "degraded",
        ExitState.FailingOver => "failing-over",
        ExitState.Failed => "failed",
        _ => "unknown",
    };

    public const string Stale = "stale";
}

/// <summary>What the supervisor does next.</summary>
public abstract record SupervisorAction(string Reason)
{
    /// <summary>Nothing to do until the next check.</summary>
    public sealed record Wait() : SupervisorAction("");

    /// <summary>Send one probe through the tunnel.</summary>
    public sealed record Probe(string Why) : SupervisorAction(Why);

    /// <summary>Resolve the endpoint again and force a new handshake with the same server.</summary>
    public sealed record Rehandshake(string Why) : SupervisorAction(Why);

    /// <summary>Switch the exit to ranked profile <paramref name="To"/>.</summary>
    public sealed record Failover(int To, string Why) : SupervisorAction(Why);

    /// <summary>Start the proxy again after <paramref name="After"/>.</summary>
    public sealed record RestartProxy(TimeSpan After, string Why) : SupervisorAction(Why);

    public static readonly Wait None = new();
}

/// <summary>
/// The supervisor's policy, apart from its mechanism: from what the clocks, the interface and the probes say,
/// decide what to do (probe, re-handshake, fail over, restart the proxy) and what state the exit is in.
/// No I/O and no clock of its own: every input carries its time, so tests drive it step by step.
/// </summary>
/// <remarks>
/// <para>Dead-tunnel signals, cheapest first: traffic sent with nothing received for
/// <see cref="SupervisionSettings.TrafficTimeout"/>; a handshake older than
/// <see cref="SupervisionSettings.StaleHandshake"/> while traffic flows; and with nothing received for
/// <see cref="SupervisionSettings.IdleProbe"/>, a probe anyway. A suspect tunnel gets probes; when
/// <see cref="SupervisionSettings.ProbeAttempts"/> go unanswered, a forced new handshake with the same server;
/// when that fails too, a failover. A jump between the clocks (suspend and resume, a stepped wall clock)
/// forces the new handshake at once.</para>
/// <para>Failover order: the ranked profiles after the current one, then from the top (the provider's first
/// choice included), each tried once per round; a round with no answer leaves the exit <c>failed</c> and
/// tries again after <see cref="SupervisionSettings.RetryAfterFailure"/>.</para>
/// <para>Proxy restarts: at once, then after each of <see cref="SupervisionSettings.ProxyRestartDelays"/>;
/// the <see cref="SupervisionSettings.ProxyCrashLimit"/>th crash within
/// <see cref="SupervisionSettings.ProxyCrashWindow"/> fails the exit for good.</para>
/// </remarks>
public sealed class SupervisorPolicy
{
    private readonly SupervisionSettings _settings;
    private readonly int _profiles;
    private readonly List<TimeSpan> _proxyCrashes = [];
    private readonly HashSet<int> _triedThisRound = [];

    private (TimeSpan Mono, TimeSpan Boot, DateTimeOffset Wall)? _lastTick;
    private long? _rx;
    private long? _tx;
    private TimeSpan _lastReceived;
    private TimeSpan _lastProbe;
    private TimeSpan? _unansweredSince;
    private int _probeFailures;
    private bool _confirming;
    private TimeSpan? _retryAt;
    private bool _proxyFailed;

    /// <summary>What one WireGuard keepalive adds to the sent counter: a transport header and an authentication tag, no payload.</summary>
    public const long KeepaliveBytes = 32;
    private int _quietChecks;
    // An idle exit's periodic probe was answered: the counters' next change is the probe's own query and answer
    // (and not traffic), so it neither wakes the exit from quiet nor waits for an answer.
    private bool _ownProbeTraffic;

    /// <param name="profiles">How many ranked profiles the exit has (1 when the provider gave no alternatives).</param>
    /// <param name="current">The profile in use.</param>
    /// <param name="now">Monotonic time of the start.</param>
    /// <param name="failovers">Failovers before this policy took over (a restarted daemon carries the count on).</param>
    public SupervisorPolicy(SupervisionSettings settings, int profiles, int current, TimeSpan now, int failovers = 0)
    {
        Failovers = failovers;
        _settings = settings;
        _profiles = Math.Max(1, profiles);
        Current = current;
        _lastReceived = now;
        _lastProbe = now;
    }

    public ExitState State { get; private set; } = ExitState.Up;

    /// <summary>Why the exit is in <see cref="State"/> (null when up and nothing happened yet).</summary>
    public string? Reason { get; private set; }

    /// <summary>The profile configured on the interface.</summary>
    public int Current { get; private set; }

    public int Failovers { get; private set; }

    public int ProxyRestarts { get; private set; }

    /// <summary>
    /// True when the exit is up and idle (its counters unchanged for <see cref="SupervisionSettings.QuietChecks"/>
    /// checks, nothing unanswered): the mechanism may then read it every
    /// <see cref="SupervisionSettings.IdleCheckInterval"/> instead of every <see cref="SupervisionSettings.CheckInterval"/>.
    /// </summary>
    public bool Quiet => State == ExitState.Up && _unansweredSince is null && _quietChecks >= _settings.QuietChecks;

    /// <summary>Set whenever <see cref="State"/> or <see cref="Reason"/> changes, for the mechanism to log.</summary>
    public event Action<ExitState, string?>? Changed;

    /// <summary>One periodic check: the clocks now and the interface's numbers (null when they could not be read).</summary>
    public SupervisorAction OnCheck(TimeSpan mono, TimeSpan boot, DateTimeOffset wall, InterfaceSnapshot? snapshot)
    {
        var previous = _lastTick;
        var wasQuiet = Quiet;
        _lastTick = (mono, boot, wall);
        if (_proxyFailed) return SupervisorAction.None;

        if (previous is { } p && ClockJump(p, mono, boot, wall) is { } jump)
        {
            // Counters and handshake times from before the jump mean nothing now; start over from here.
            Rebase(mono, snapshot);
            SetState(ExitState.Degraded, jump);
            return new SupervisorAction.Rehandshake(jump);
        }

        // Traffic first seen after an idle (longer) wait may have started any time since the previous read, not just
        // now: date it back by what the wait exceeded the usual interval, so an idle exit is no slower to heal.
        var late = wasQuiet && previous is { } before && mono - before.Mono > _settings.CheckInterval
            ? Min(mono - before.Mono - _settings.CheckInterval, _settings.IdleCheckInterval - _settings.CheckInterval)
            : TimeSpan.Zero;
        var sent = snapshot is not null && Count(mono, snapshot, late);
        if (snapshot is null) _quietChecks = 0;

        if (State == ExitState.Failed)
        {
            if (_retryAt is { } at && mono >= at)
            {
                _retryAt = null;
                return _settings.Failover && _profiles > 1
                    ? new SupervisorAction.Failover(NextProfile()!.Value, "retrying after every server failed")
                    : new SupervisorAction.Rehandshake("retrying the server");
            }
            return SupervisorAction.None;
        }

        if (_unansweredSince is { } since && mono - since >= _settings.TrafficTimeout)
            return Probe(confirming: true, $"traffic sent for {Seconds(mono - since)} with nothing received");
        // Traffic flows but WireGuard's own rekeying has not succeeded for longer than a session lives.
        if (sent && snapshot?.LatestHandshake is { } handshake && wall - handshake > _settings.StaleHandshake)
            return Probe(confirming: true, $"latest handshake {Seconds(wall - handshake)} ago");
        if (mono - Max(_lastReceived, _lastProbe) >= _settings.IdleProbe)
            return Probe(confirming: false, "periodic check");
        return SupervisorAction.None;
    }

    /// <summary>
    /// A probe confirms a dead tunnel the traffic already suggests (one unanswered probe is enough then: the
    /// tunnel has been silent for <see cref="SupervisionSettings.TrafficTimeout"/> plus the probe's own wait), or
    /// checks an idle one (then <see cref="SupervisionSettings.ProbeAttempts"/> must go unanswered, so one lost
    /// datagram never costs a new handshake).
    /// </summary>
    private SupervisorAction Probe(bool confirming, string why)
    {
        _confirming = confirming;
        return new SupervisorAction.Probe(why);
    }

    /// <summary>
    /// A probe's outcome: true answered, false not, null when the exit has nothing to probe (no DNS in the
    /// profile), in which case unanswered traffic alone decides.
    /// </summary>
    public SupervisorAction OnProbe(TimeSpan mono, bool? answered)
    {
        _lastProbe = mono;
        if (answered == true)
        {
            _ownProbeTraffic = !_confirming && State == ExitState.Up && _unansweredSince is null;
            Healthy(mono, "probe answered");
            return SupervisorAction.None;
        }
        if (answered is null && _unansweredSince is null) return SupervisorAction.None;
        _probeFailures++;
        var silent = Seconds(mono - (_unansweredSince ?? _lastReceived));
        if (answered == false && !_confirming && _probeFailures < _settings.ProbeAttempts)
        {
            SetState(ExitState.Degraded, $"no answer through the tunnel (probe {_probeFailures} of {_settings.ProbeAttempts})");
            return Probe(confirming: false, "probing again");
        }
        var why = $"nothing received through the tunnel for {silent}";
        SetState(ExitState.Degraded, why);
        return new SupervisorAction.Rehandshake(why);
    }

    /// <summary>A forced handshake's outcome (handshake completed and, where there is one, a probe answered).</summary>
    public SupervisorAction OnRehandshake(TimeSpan mono, bool succeeded)
    {
        if (succeeded)
        {
            Healthy(mono, "new handshake with the server succeeded");
            return SupervisorAction.None;
        }
        var why = $"the server did not complete a new handshake within {Seconds(_settings.RehandshakeTimeout)}";
        if (_settings.Failover && _profiles > 1 && NextProfile() is { } next)
        {
            SetState(ExitState.FailingOver, why);
            return new SupervisorAction.Failover(next, why);
        }
        Fail(mono, why + (_settings.Failover ? " and there is no other server to fail over to" : " (failover is off)"));
        return SupervisorAction.None;
    }

    /// <summary>The outcome of switching the interface to profile <paramref name="index"/>.</summary>
    public SupervisorAction OnSwitched(TimeSpan mono, int index, bool succeeded)
    {
        var from = Current;
        Current = index;
        _triedThisRound.Add(index);
        if (succeeded)
        {
            if (index != from) Failovers++;
            _triedThisRound.Clear();
            Healthy(mono, $"failed over to server {index + 1} of {_profiles}");
            return SupervisorAction.None;
        }
        var why = $"server {index + 1} of {_profiles} did not complete a handshake within {Seconds(_settings.FailoverHandshakeTimeout)}";
        if (NextProfile() is { } next)
        {
            SetState(ExitState.FailingOver, why);
            return new SupervisorAction.Failover(next, why);
        }
        Fail(mono, $"no server answered (tried {_triedThisRound.Count})");
        return SupervisorAction.None;
    }

    /// <summary>The proxy process exited: restart it after a back-off, or fail the exit.</summary>
    public SupervisorAction OnProxyExited(TimeSpan mono, string? lastWords)
    {
        _proxyCrashes.RemoveAll(t => mono - t > _settings.ProxyCrashWindow);
        _proxyCrashes.Add(mono);
        var detail = string.IsNullOrWhiteSpace(lastWords) ? "" : $" (last: {lastWords.Trim()})";
        if (_proxyCrashes.Count >= _settings.ProxyCrashLimit)
        {
            _proxyFailed = true;
            SetState(ExitState.Failed,
                $"the proxy crashed {_proxyCrashes.Count} times within {Seconds(_settings.ProxyCrashWindow)}{detail}; disconnect and connect again");
            return SupervisorAction.None;
        }
        var delays = _settings.ProxyRestartDelays;
        var delay = delays.Count == 0 ? TimeSpan.Zero : delays[Math.Min(_proxyCrashes.Count - 1, delays.Count - 1)];
        ProxyRestarts++;
        return new SupervisorAction.RestartProxy(delay, $"the proxy exited{detail}");
    }

    /// <summary>A proxy restart failed to start one: that counts as a crash too.</summary>
    public SupervisorAction OnProxyRestartFailed(TimeSpan mono, string error) => OnProxyExited(mono, error);

    /// <summary>True once the proxy crashed too often: the exit is failed for good and nothing is restarted.</summary>
    public bool ProxyGaveUp => _proxyFailed;

    /// <summary>The interface is gone (someone deleted it or its process): the exit cannot heal.</summary>
    public void OnInterfaceGone(string why)
    {
        _proxyFailed = true;
        SetState(ExitState.Failed, why);
    }

    /// <summary>The next profile to try in this round, in rank order after the current one, or null when all were tried.</summary>
    private int? NextProfile()
    {
        for (var step = 1; step < _profiles + 1; step++)
        {
            var candidate = (Current + step) % _profiles;
            if (candidate == Current && _profiles > 1) continue;
            if (!_triedThisRound.Contains(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Takes in the counters; true when something was sent since the last check.</summary>
    private bool Count(TimeSpan mono, InterfaceSnapshot s, TimeSpan late)
    {
        // A peer set anew starts its counters from zero: take the new numbers as the baseline.
        if (_rx is null || s.RxBytes < _rx || s.TxBytes < _tx)
        {
            _rx = s.RxBytes;
            _tx = s.TxBytes;
            _quietChecks = 0;
            return false;
        }
        if (_ownProbeTraffic)
        {
            // What the answered probe sent and received since the last read; the probe already proved the tunnel.
            _ownProbeTraffic = false;
            _quietChecks++;
            _rx = s.RxBytes;
            _tx = s.TxBytes;
            return false;
        }
        // One WireGuard keepalive (an empty transport message, 32 bytes) is not traffic that awaits an answer: the
        // interface sends one 10 s after it last received data, and every PersistentKeepalive seconds, and neither
        // is ever answered. Counted as traffic, each would make an idle tunnel look dead and cost it a probe.
        var sent = s.TxBytes > _tx && s.TxBytes - _tx != KeepaliveBytes;
        _quietChecks = sent || s.RxBytes > _rx ? 0 : _quietChecks + 1;
        if (s.RxBytes > _rx)
        {
            _lastReceived = mono;
            _unansweredSince = null;
            _probeFailures = 0;
            if (State is ExitState.Degraded) SetState(ExitState.Up, "traffic received");
        }
        else if (sent && _unansweredSince is null)
        {
            _unansweredSince = mono - late;
        }
        _rx = s.RxBytes;
        _tx = s.TxBytes;
        return sent;
    }

    private void Rebase(TimeSpan mono, InterfaceSnapshot? s)
    {
        _rx = s?.RxBytes;
        _tx = s?.TxBytes;
        _unansweredSince = null;
        _probeFailures = 0;
        _lastReceived = mono;
    }

    private void Healthy(TimeSpan mono, string why)
    {
        _probeFailures = 0;
        _unansweredSince = null;
        _lastReceived = mono;
        _retryAt = null;
        if (State != ExitState.Up) SetState(ExitState.Up, why);
    }

    private void Fail(TimeSpan mono, string why)
    {
        _triedThisRound.Clear();
        _retryAt = mono + _settings.RetryAfterFailure;
        SetState(ExitState.Failed, why + $"; trying again every {Seconds(_settings.RetryAfterFailure)}");
    }

    private string? ClockJump((TimeSpan Mono, TimeSpan Boot, DateTimeOffset Wall) previous, TimeSpan mono, TimeSpan boot, DateTimeOffset wall)
    {
        var elapsed = mono - previous.Mono;
        var slept = boot - previous.Boot - elapsed;
        if (slept >= _settings.ClockJump) return $"resumed after {Seconds(slept)} of suspend";
        var stepped = wall - previous.Wall - elapsed;
        if (stepped.Duration() >= _settings.ClockJump) return $"the wall clock jumped by {Seconds(stepped)}";
        return null;
    }

    private void SetState(ExitState state, string? reason)
    {
        if (state == State && reason == Reason) return;
        State = state;
        Reason = reason;
        Changed?.Invoke(state, reason);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";
}
