using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>What a supervisor tells its owner.</summary>
public interface ISupervisorEvents
{
    /// <summary>The exit now uses ranked profile <paramref name="to"/> (its handshake completed and a probe answered).</summary>
    Task FailedOverAsync(int from, int to, int failovers, CancellationToken ct);

    /// <summary>The public port mapped at the gateway changed (first mapping, or a new one after a failover or a lapse).</summary>
    Task ForwardedPortChangedAsync(int? port, CancellationToken ct);
}

/// <summary>
/// The mechanism of one exit's supervision: every <see cref="SupervisionSettings.CheckInterval"/> it looks at the
/// proxy process and the interface, asks <see cref="SupervisorPolicy"/> what to do, and does it through
/// <see cref="IExitControl"/> (probe, new handshake, failover, proxy restart), renewing the forwarded port on
/// the way. Everything it does goes to the exit's log. It never stops on an error: it logs it and checks again.
/// </summary>
public sealed class ExitSupervisor : IAsyncDisposable
{
    private static readonly TimeSpan HandshakePoll = TimeSpan.FromMilliseconds(100);

    private readonly SupervisionSettings _settings;
    private readonly ISupervisorClock _clock;
    private readonly IInterfaceReader _reader;
    private readonly IExitControl _control;
    private readonly Action<string> _log;
    private readonly ISupervisorEvents _events;
    private readonly SupervisorPolicy _policy;
    private readonly IReadOnlyList<string> _servers;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private InterfaceSnapshot? _snapshot;
    private DateTimeOffset _since;
    private int? _forwardedPort;
    private readonly bool _forwardsPort;
    private TimeSpan? _renewAt;
    private Task? _loop;

    /// <param name="servers">The ranked profiles' server names, in rank order (for the log).</param>
    /// <param name="current">The profile the interface has now.</param>
    /// <param name="failovers">Failovers so far (a restarted daemon carries the count on).</param>
    /// <param name="forwardsPort">Whether the exit asked for a forwarded port (NAT-PMP at its gateway).</param>
    /// <param name="forwardedPort">The port mapped when the exit came up (renewed from here on), or null to map one at the first check.</param>
    public ExitSupervisor(SupervisionSettings settings, IReadOnlyList<string> servers, int current, int failovers, bool forwardsPort, int? forwardedPort,
        ISupervisorClock clock, IInterfaceReader reader, IExitControl control, ISupervisorEvents events, Action<string> log)
    {
        _settings = settings;
        _servers = servers;
        _clock = clock;
        _reader = reader;
        _control = control;
        _events = events;
        _log = log;
        _policy = new SupervisorPolicy(settings, servers.Count, current, clock.Monotonic, failovers);
        _policy.Changed += (state, reason) =>
        {
            _since = _clock.UtcNow;
            _log($"state {ExitStates.Name(state)}{(reason is null ? "" : ": " + reason)}");
        };
        _since = clock.UtcNow;
        _forwardsPort = forwardsPort;
        _forwardedPort = forwardedPort;
        if (forwardsPort) _renewAt = clock.Monotonic + (forwardedPort is null ? TimeSpan.Zero : settings.PortForwardRenew);
    }

    /// <summary>Starts checking in the background.</summary>
    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    public ExitState State { get { lock (_gate) return _policy.State; } }

    /// <summary>What <c>status</c> shows; <paramref name="handshake"/> is the latest one seen, without asking the interface again.</summary>
    public HealthDto Health(out DateTimeOffset? handshake)
    {
        lock (_gate)
        {
            handshake = _snapshot?.LatestHandshake;
            return new HealthDto
            {
                State = ExitStates.Name(_policy.State),
                Reason = _policy.Reason,
                Since = _since,
                Supervised = true,
                RxBytes = _snapshot?.RxBytes,
                TxBytes = _snapshot?.TxBytes,
                Failover = _settings.Failover,
                Failovers = _policy.Failovers,
                Servers = _servers.Count,
                ProxyRestarts = _policy.ProxyRestarts,
                ForwardedPort = _forwardedPort,
            };
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // An idle exit is read less often (see SupervisionSettings.IdleCheckInterval); anything else every interval.
                var quiet = Decide(p => p.Quiet);
                await _clock.Delay(UntilNextTick(_clock.Monotonic, quiet ? _settings.IdleCheckInterval : _settings.CheckInterval), ct)
                    .ConfigureAwait(false);
                await CheckAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // the supervisor outlives any one failure: it logs and checks again
            catch (Exception e)
#pragma warning restore CA1031
            {
                _log($"check failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The wait until the next multiple of <paramref name="interval"/> on the monotonic clock (never longer than the
    /// interval): every exit with the same interval wakes at the same moment, so twenty idle exits cost the daemon one
    /// wake-up every few seconds instead of twenty spread over them.
    /// </summary>
    internal static TimeSpan UntilNextTick(TimeSpan now, TimeSpan interval) =>
        interval <= TimeSpan.Zero ? interval : interval - TimeSpan.FromTicks(now.Ticks % interval.Ticks);

    /// <summary>One check: the proxy, the interface, then whatever the policy asks for. Tests call it step by step.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        if (Decide(p => p.ProxyGaveUp)) return;
        // The proxy first: restarting it is the quickest fix there is.
        if (_control.HasProxy && !_control.ProxyRunning())
            await ActAsync(Decide(p => p.OnProxyExited(_clock.Monotonic, _control.ProxyLastWords())), ct).ConfigureAwait(false);

        InterfaceSnapshot? snapshot;
        try
        {
            snapshot = await _reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (InterfaceGoneException e)
        {
            Decide(p => { p.OnInterfaceGone(e.Message + "; disconnect to clean up"); return 0; });
            return;
        }
        catch (IOException e)
        {
            _log($"cannot read the interface: {e.Message}");
            snapshot = null;
        }
        lock (_gate) _snapshot = snapshot ?? _snapshot;
        await ActAsync(Decide(p => p.OnCheck(_clock.Monotonic, _clock.Boottime, _clock.UtcNow, snapshot)), ct).ConfigureAwait(false);
        await RenewPortAsync(ct).ConfigureAwait(false);
    }

    private async Task ActAsync(SupervisorAction action, CancellationToken ct)
    {
        // Each outcome may call for the next step (probe → new handshake → failover → next server ...); bounded.
        for (var steps = 0; steps < 64 && action is not SupervisorAction.Wait; steps++)
        {
            switch (action)
            {
                case SupervisorAction.Probe probe:
                {
                    var answered = await _control.ProbeAsync(_settings.ProbeTimeout, ct).ConfigureAwait(false);
                    if (answered == false) _log($"probe unanswered ({probe.Why})");
                    action = Decide(p => p.OnProbe(_clock.Monotonic, answered));
                    break;
                }
                case SupervisorAction.Rehandshake rehandshake:
                {
                    var ok = await RehandshakeAsync(rehandshake.Why, ct).ConfigureAwait(false);
                    action = Decide(p => p.OnRehandshake(_clock.Monotonic, ok));
                    break;
                }
                case SupervisorAction.Failover failover:
                {
                    var from = Decide(p => p.Current);
                    var ok = await SwitchAsync(from, failover.To, failover.Why, ct).ConfigureAwait(false);
                    action = Decide(p => p.OnSwitched(_clock.Monotonic, failover.To, ok));
                    if (ok) await AfterFailoverAsync(from, failover.To, ct).ConfigureAwait(false);
                    break;
                }
                case SupervisorAction.RestartProxy restart:
                {
                    _log($"restarting the proxy{(restart.After > TimeSpan.Zero ? $" in {restart.After.TotalSeconds:0.#} s" : "")}: {restart.Why}");
                    if (restart.After > TimeSpan.Zero) await _clock.Delay(restart.After, ct).ConfigureAwait(false);
                    try
                    {
                        await _control.RestartProxyAsync(ct).ConfigureAwait(false);
                        _log("proxy started again on the same listeners");
                        action = SupervisorAction.None;
                    }
                    catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException)
                    {
                        _log($"proxy restart failed: {e.Message}");
                        action = Decide(p => p.OnProxyRestartFailed(_clock.Monotonic, e.Message));
                    }
                    break;
                }
                default:
                    action = SupervisorAction.None;
                    break;
            }
        }
    }

    private async Task<bool> RehandshakeAsync(string why, CancellationToken ct)
    {
        _log($"forcing a new handshake with {Server(Decide(p => p.Current))}: {why}");
        try
        {
            await _control.RehandshakeAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CommandFailedException or IOException or InvalidOperationException)
        {
            _log($"new handshake could not be started: {e.Message}");
            return false;
        }
        return await ConfirmAsync(_settings.RehandshakeTimeout, ct).ConfigureAwait(false);
    }

    private async Task<bool> SwitchAsync(int from, int to, string why, CancellationToken ct)
    {
        _log($"failing over from {Server(from)} to {Server(to)}: {why}");
        try
        {
            await _control.SwitchAsync(to, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CommandFailedException or IOException or InvalidOperationException)
        {
            _log($"switching to {Server(to)} failed: {e.Message}");
            return false;
        }
        return await ConfirmAsync(_settings.FailoverHandshakeTimeout, ct).ConfigureAwait(false);
    }

    /// <summary>A handshake within the bound, then (where there is something to ask) an answered probe.</summary>
    private async Task<bool> ConfirmAsync(TimeSpan bound, CancellationToken ct)
    {
        var deadline = _clock.Monotonic + bound;
        while (true)
        {
            InterfaceSnapshot? s = null;
            try { s = await _reader.ReadAsync(ct).ConfigureAwait(false); }
            catch (IOException) { }
            if (s?.LatestHandshake is not null)
            {
                lock (_gate) _snapshot = s;
                break;
            }
            if (_clock.Monotonic >= deadline) return false;
            await _clock.Delay(HandshakePoll, ct).ConfigureAwait(false);
        }
        try { await _control.SettleAsync(ct).ConfigureAwait(false); }
        catch (CommandFailedException e) { _log($"restoring the keepalive failed: {e.Message}"); }
        return await _control.ProbeAsync(_settings.ProbeTimeout, ct).ConfigureAwait(false) != false;
    }

    private async Task AfterFailoverAsync(int from, int to, CancellationToken ct)
    {
        _log($"failed over from {Server(from)} to {Server(to)}");
        if (_forwardsPort)
        {
            // A new server has its own gateway and mappings: map again at once.
            _renewAt = _clock.Monotonic;
            await RenewPortAsync(ct).ConfigureAwait(false);
        }
        await _events.FailedOverAsync(from, to, Decide(p => p.Failovers), ct).ConfigureAwait(false);
    }

    private async Task RenewPortAsync(CancellationToken ct)
    {
        if (_renewAt is not { } at || _clock.Monotonic < at) return;
        int? port;
        try
        {
            port = await _control.MapPortAsync(_forwardedPort, _settings.PortForwardLifetime, ct).ConfigureAwait(false);
            _renewAt = _clock.Monotonic + _settings.PortForwardRenew;
        }
        catch (IOException e)
        {
            // The mapping lapses within its lifetime: try again soon, not only at the next renewal.
            _log($"port forwarding renewal failed: {e.Message}");
            _renewAt = _clock.Monotonic + (_settings.PortForwardRenew < TimeSpan.FromSeconds(5) ? _settings.PortForwardRenew : TimeSpan.FromSeconds(5));
            return;
        }
        if (port == _forwardedPort) return;
        _log(port is null ? "port forwarding ended" : $"forwarded port {port}{(_forwardedPort is null ? "" : $" (was {_forwardedPort})")}");
        lock (_gate) _forwardedPort = port;
        await _events.ForwardedPortChangedAsync(port, ct).ConfigureAwait(false);
    }

    private T Decide<T>(Func<SupervisorPolicy, T> decide)
    {
        lock (_gate) return decide(_policy);
    }

    private string Server(int index) => index >= 0 && index < _servers.Count ? _servers[index] : $"server {index + 1}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try { await _loop.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        _stop.Dispose();
        if (_control is IDisposable d) d.Dispose();
    }
}
