using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// The supervisor's thresholds. The defaults find a dead server within about five seconds of traffic going
/// unanswered and fail over within about fifteen; tests shorten them through the connect's
/// <see cref="SupervisionArgs"/> (from config.toml), never through anything hidden in the daemon.
/// </summary>
public sealed record SupervisionSettings
{
    /// <summary>How often the interface is read while it carries traffic or anything is suspect (one local socket round trip).</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often an idle exit (counters unchanged for <see cref="QuietChecks"/> checks, nothing suspect) is read. Twenty
    /// idle exits read every second cost about 2 % of a core; traffic that starts on an idle exit is dated back to the
    /// previous read, so a dead server is still found <see cref="TrafficTimeout"/> after the traffic began, not later.
    /// </summary>
    public TimeSpan IdleCheckInterval { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Checks in a row with unchanged counters before an exit counts as idle.</summary>
    public int QuietChecks { get; init; } = 3;

    /// <summary>Traffic sent into the tunnel with nothing received for this long makes the tunnel suspect.</summary>
    public TimeSpan TrafficTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>With nothing received for this long, one small probe checks the tunnel anyway (cheap when idle).</summary>
    public TimeSpan IdleProbe { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one probe (a DNS query to the tunnel's DNS, from inside the exit) may take.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Unanswered probes in a row before the tunnel counts as dead.</summary>
    public int ProbeAttempts { get; init; } = 2;

    /// <summary>
    /// A handshake older than this while traffic flows means WireGuard's own rekeying failed (it rekeys every
    /// 120 s and gives a session up after 180 s).
    /// </summary>
    public TimeSpan StaleHandshake { get; init; } = TimeSpan.FromSeconds(185);

    /// <summary>
    /// How long a forced new handshake (same server, endpoint resolved again) has before failing over. Shorter than
    /// WireGuard's own 5 s retry: by the time it is tried, traffic has gone unanswered for <see cref="TrafficTimeout"/>
    /// and a probe too, and a live server answers a handshake within one round trip.
    /// </summary>
    public TimeSpan RehandshakeTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long each alternative server has to complete its handshake during a failover.</summary>
    public TimeSpan FailoverHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Switch to the next ranked server when the current one is dead (<c>--no-failover</c> turns it off).</summary>
    public bool Failover { get; init; } = true;

    /// <summary>A difference this large between the clocks means a suspend or a stepped wall clock.</summary>
    public TimeSpan ClockJump { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>After every server failed, how long before trying again (the exit stays <c>failed</c> meanwhile).</summary>
    public TimeSpan RetryAfterFailure { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Waits before restarting a crashed proxy, by crash within <see cref="ProxyCrashWindow"/>.</summary>
    public IReadOnlyList<TimeSpan> ProxyRestartDelays { get; init; } = [TimeSpan.Zero, TimeSpan.FromSeconds(1)];

    /// <summary>This many proxy crashes within <see cref="ProxyCrashWindow"/> fail the exit.</summary>
    public int ProxyCrashLimit { get; init; } = 3;

    public TimeSpan ProxyCrashWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>NAT-PMP mappings are renewed this often (Proton's gateway lets a 60 s mapping lapse).</summary>
    public TimeSpan PortForwardRenew { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>The lifetime asked for each NAT-PMP mapping.</summary>
    public TimeSpan PortForwardLifetime { get; init; } = TimeSpan.FromSeconds(60);

    public static SupervisionSettings From(SupervisionArgs? args)
    {
        var s = new SupervisionSettings();
        if (args is null) return s;
        static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);
        s = s with { Failover = args.Failover };
        // A shorter check interval shortens the idle one alike (four times it), unless that is set on its own.
        if (args.CheckIntervalMs is { } check) s = s with { CheckInterval = Ms(check), IdleCheckInterval = TimeSpan.FromMilliseconds(4.0 * check) };
        if (args.IdleCheckIntervalMs is { } idleCheck) s = s with { IdleCheckInterval = Ms(idleCheck) };
        if (s.IdleCheckInterval < s.CheckInterval) s = s with { IdleCheckInterval = s.CheckInterval };
        if (args.TrafficTimeoutMs is { } traffic)
            s = s with { TrafficTimeout = Ms(traffic), ProbeTimeout = Ms(Math.Clamp(traffic / 2, 200, 2000)) };
        if (args.IdleProbeMs is { } idle) s = s with { IdleProbe = Ms(idle) };
        if (args.RehandshakeTimeoutMs is { } rehandshake)
            s = s with { RehandshakeTimeout = Ms(rehandshake), FailoverHandshakeTimeout = Ms(rehandshake) };
        if (args.RetryAfterFailureMs is { } retry) s = s with { RetryAfterFailure = Ms(retry) };
        if (args.PortForwardRenewMs is { } renew)
            s = s with { PortForwardRenew = Ms(renew), PortForwardLifetime = Ms(Math.Max(renew * 4 / 3, 2000)) };
        return s;
    }
}
