using System.Diagnostics;
using System.Security.Cryptography;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// When the daemon may stop. Commands hold leases while they run; an autostarted daemon told
/// <c>shutdown_if_idle</c> stops once no lease is held and no request is in progress; with an idle timeout
/// it stops after that long with no connection, no lease and no request. An open connection also keeps it
/// up. Leases belong to the connection
/// that took them, so a command that dies without releasing does not keep the daemon alive.
/// Tunnels and proxy processes are not the daemon's children in this sense: they outlive it.
/// </summary>
public sealed class DaemonLifecycle : IDisposable, Tunnels.Supervision.IDaemonLease
{
    /// <summary>The lease of the daemon's own work (supervised exits): no connection owns it, so no disconnect ends it.</summary>
    private const string SupervisionLease = "supervision";
    private const long NoConnection = long.MinValue;

    public static readonly TimeSpan ShutdownLinger = TimeSpan.FromMilliseconds(300);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _leases = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _shutdownAllowed;
    private readonly TimeSpan? _idleTimeout;
    private readonly Timer? _idleTimer;
    private int _connections;
    private int _inFlight;
    private bool _shutdownRequested;
    private long _lastActivity = Stopwatch.GetTimestamp();

    public DaemonLifecycle(bool shutdownAllowed, int? idleTimeoutMs)
    {
        _shutdownAllowed = shutdownAllowed;
        if (idleTimeoutMs is { } ms)
        {
            _idleTimeout = TimeSpan.FromMilliseconds(Math.Max(100, ms));
            var period = TimeSpan.FromMilliseconds(Math.Clamp(ms / 4, 25, 1000));
            _idleTimer = new Timer(_ => CheckIdle(), null, period, period);
        }
    }

    /// <summary>Cancelled when the daemon should stop accepting work and exit.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Why the daemon stopped, once it has.</summary>
    public string? StopReason { get; private set; }

    public int LeaseCount { get { lock (_lock) return _leases.Count; } }

    public void ConnectionOpened() { lock (_lock) { _connections++; Touch(); } }

    public void ConnectionClosed(long connectionId)
    {
        bool stop;
        lock (_lock)
        {
            _connections--;
            foreach (var lease in _leases.Where(l => l.Value == connectionId).Select(l => l.Key).ToList())
                _leases.Remove(lease);
            Touch();
            stop = IsDrained();
        }
        if (stop) StopIfStillDrainedSoon();
    }

    public void RequestStarted() { lock (_lock) { _inFlight++; Touch(); } }

    public void RequestFinished()
    {
        bool stop;
        lock (_lock)
        {
            _inFlight--;
            Touch();
            stop = IsDrained();
        }
        if (stop) StopIfStillDrainedSoon();
    }

    /// <summary>Leases one connection may hold, and all of them together: each is a few bytes a client could multiply.</summary>
    public const int MaxLeasesPerConnection = 16, MaxLeases = 1024;

    public string AcquireLease(long connectionId, string? leaseId)
    {
        lock (_lock)
        {
            if (_leases.Count >= MaxLeases || _leases.Count(l => l.Value == connectionId) >= MaxLeasesPerConnection)
                throw new PrivilegedException(ErrorCodes.Failed,
                    $"too many leases held (at most {MaxLeasesPerConnection} per connection, {MaxLeases} in all); release some first");
            if (leaseId is not null && _leases.TryGetValue(leaseId, out var holder) && holder != connectionId)
                throw new PrivilegedException(ErrorCodes.Conflict, "that lease id is held by another connection");
            var id = leaseId ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _leases[id] = connectionId;
            return id;
        }
    }

    public bool ReleaseLease(string leaseId)
    {
        lock (_lock) return _leases.Remove(leaseId);
    }

    /// <summary>Held while the daemon supervises exits: it then stays, whatever the autostop mode.</summary>
    void Tunnels.Supervision.IDaemonLease.Acquire()
    {
        lock (_lock) _leases[SupervisionLease] = NoConnection;
    }

    void Tunnels.Supervision.IDaemonLease.Release()
    {
        bool stop;
        lock (_lock)
        {
            _leases.Remove(SupervisionLease);
            Touch();
            stop = IsDrained();
        }
        if (stop) StopIfStillDrainedSoon();
    }

    /// <summary>
    /// Asks the daemon to stop once idle. Only an autostarted daemon honours it (a daemon an administrator
    /// started, or systemd, keeps running). The request is remembered: the daemon stops when the last lease goes.
    /// </summary>
    public ShutdownResult ShutdownIfIdle()
    {
        lock (_lock)
        {
            if (!_shutdownAllowed)
                return new ShutdownResult { ShuttingDown = false, Reason = "daemon was not autostarted; it stops only when its service is stopped" };
            _shutdownRequested = true;
            // The shutdown_if_idle request itself is in flight; it does not count.
            if (_leases.ContainsKey(SupervisionLease))
                return new ShutdownResult { ShuttingDown = false, Reason = "supervising exits; stopping once they are all disconnected" };
            if (_leases.Count > 0)
                return new ShutdownResult { ShuttingDown = false, Reason = $"{_leases.Count} lease(s) held; stopping when they are released" };
            if (_inFlight > 1)
                return new ShutdownResult { ShuttingDown = false, Reason = "requests in progress; stopping when they finish" };
            return new ShutdownResult { ShuttingDown = true, Reason = "idle" };
        }
    }

    /// <summary>Stops the daemon now (signal, fatal error).</summary>
    public void Stop(string reason)
    {
        lock (_lock)
        {
            if (StopReason is not null) return;
            StopReason = reason;
        }
        // Cancelled outside the lock: callbacks registered on Stopping may call back in here.
        _stop.Cancel();
    }

    private void Touch() => _lastActivity = Stopwatch.GetTimestamp();

    /// <summary>Asked to stop, and nobody is connected, holds a lease or waits for an answer.</summary>
    private bool IsDrained() => _shutdownRequested && _leases.Count == 0 && _inFlight == 0 && _connections == 0;

    /// <summary>
    /// Stops after a short linger, and only if still drained then: a command that has just launched this daemon
    /// and is about to connect must not find it gone because another command's shutdown_if_idle came first.
    /// </summary>
    private void StopIfStillDrainedSoon()
    {
        _ = Task.Delay(ShutdownLinger).ContinueWith(_ =>
        {
            bool stop;
            lock (_lock) stop = IsDrained();
            if (stop) Stop("shutdown_if_idle and no lease held");
        }, TaskScheduler.Default);
    }

    private void CheckIdle()
    {
        lock (_lock)
        {
            if (_idleTimeout is not { } timeout || StopReason is not null) return;
            if (_connections > 0 || _inFlight > 0 || _leases.Count > 0) return;
            if (Stopwatch.GetElapsedTime(_lastActivity) < timeout) return;
        }
        Stop($"idle for {_idleTimeout.Value.TotalMilliseconds:0} ms");
    }

    public void Dispose()
    {
        _idleTimer?.Dispose();
        _stop.Dispose();
    }
}
