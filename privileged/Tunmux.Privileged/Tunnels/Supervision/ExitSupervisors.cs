using System.Collections.Concurrent;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>Keeps the daemon running while it has exits to watch, whatever its autostop mode.</summary>
public interface IDaemonLease
{
    void Acquire();

    void Release();
}

/// <summary>
/// The daemon's supervisors, one per supervised exit: started when an exit comes up (or, for exits on record,
/// when the daemon starts), stopped before it goes down. While any runs, the daemon holds a lease and stays.
/// </summary>
/// <remarks>
/// <see cref="EndpointChanging"/> is the seam for anything that must follow an exit's WireGuard endpoint (a
/// direct-mode kill switch's allowed endpoint): every handler is awaited before the interface is pointed at a
/// new endpoint, on failover and when the endpoint's name resolves to another address; a handler that throws
/// stops that switch (the supervisor then tries the next server).
/// </remarks>
public sealed class ExitSupervisors : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _running = new(StringComparer.Ordinal);
    private readonly IDaemonLease _lease;
    private readonly ISupervisorClock _clock;
    private readonly Action<string> _daemonLog;
    private readonly Lock _leaseGate = new();
    private bool _leased;

    public ExitSupervisors(IDaemonLease lease, Action<string>? daemonLog = null, ISupervisorClock? clock = null)
    {
        _lease = lease;
        _daemonLog = daemonLog ?? (_ => { });
        _clock = clock ?? SystemClock.Instance;
    }

    /// <summary>Awaited before an exit's interface sends to a new endpoint (see remarks).</summary>
    public event Func<EndpointChange, CancellationToken, Task>? EndpointChanging;

    /// <summary>
    /// Awaited once an exit's interface and record name the new endpoint (and its addresses and DNS): whatever
    /// followed <see cref="EndpointChanging"/> lets the old endpoint go.
    /// </summary>
    public event Func<EndpointChange, CancellationToken, Task>? EndpointChanged;

    private sealed record Entry(ExitSupervisor Supervisor, TunnelRecord Record);

    public int Count => _running.Count;

    internal bool IsSupervising(string instance) => _running.ContainsKey(instance);

    /// <summary>Starts watching an exit that is up.</summary>
    internal void Start(TunnelRecord record, ExitPlan plan, SystemCommands commands, TunnelRecordStore store, IProxyLauncher proxy,
        PrivilegedPaths paths, ExitHooks hooks)
    {
        var log = new ExitLog(paths.ExitLogFile(record.Instance));
        var control = new ExitControl(record, plan, commands, store, proxy, paths,
            (change, ct) => RaiseAsync(EndpointChanging, change, ct), (change, ct) => RaiseAsync(EndpointChanged, change, ct));
        var settings = SupervisionSettings.From(plan.Supervision);
        var events = new Events(record, plan, store, hooks, log);
        var forwards = plan.Profiles.Any(p => p.Profile.PortForwardGateway is not null);
        var supervisor = new ExitSupervisor(settings, plan.Profiles.Select(p => p.Server.Name).ToList(), record.ProfileIndex,
            record.Failovers, forwards, record.ForwardedPort, _clock, new WireGuardReader(() => record, commands), control, events, log.Write);
        if (!_running.TryAdd(record.Instance, new Entry(supervisor, record)))
        {
            control.Dispose();
            return;
        }
        UpdateLease();
        log.Write($"supervising {record.Instance} ({plan.Profiles.Count} ranked server(s), failover {(settings.Failover ? "on" : "off")})");
        _daemonLog($"supervising {record.Instance}");
        supervisor.Start();
    }

    /// <summary>Stops watching an exit (before it goes down); false when it was not watched.</summary>
    internal async Task<bool> StopAsync(string instance)
    {
        if (!_running.TryRemove(instance, out var entry)) return false;
        await entry.Supervisor.DisposeAsync().ConfigureAwait(false);
        UpdateLease();
        return true;
    }

    /// <summary>The supervisor's view of an exit, or null when it is not watched.</summary>
    internal HealthDto? Health(string instance, out DateTimeOffset? handshake)
    {
        handshake = null;
        return _running.TryGetValue(instance, out var entry) ? entry.Supervisor.Health(out handshake) : null;
    }

    private static async Task RaiseAsync(Func<EndpointChange, CancellationToken, Task>? handlers, EndpointChange change, CancellationToken ct)
    {
        if (handlers is null) return;
        foreach (var handler in handlers.GetInvocationList().Cast<Func<EndpointChange, CancellationToken, Task>>())
            await handler(change, ct).ConfigureAwait(false);
    }

    private void UpdateLease()
    {
        lock (_leaseGate)
        {
            var want = !_running.IsEmpty;
            if (want == _leased) return;
            _leased = want;
            if (want) _lease.Acquire();
            else _lease.Release();
        }
    }

    /// <summary>The daemon is stopping: supervision stops, the exits stay up (a later daemon takes them over).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _running.Keys.ToList()) await StopAsync(instance).ConfigureAwait(false);
    }

    /// <summary>What a supervisor's news means for the exit's record and hooks.</summary>
    private sealed class Events(TunnelRecord record, ExitPlan plan, TunnelRecordStore store, ExitHooks hooks, ExitLog log) : ISupervisorEvents
    {
        private readonly SemaphoreSlim _hooks = new(1, 1);

        public Task FailedOverAsync(int from, int to, int failovers, CancellationToken ct)
        {
            record.Failovers = failovers;
            store.Save(record);
            var previous = plan.Profiles[from].Server.Name;
            // The hook runs beside the supervisor (one at a time, in order), so a slow hook never delays the next check.
            _ = RunHookAsync(previous);
            return Task.CompletedTask;
        }

        public Task ForwardedPortChangedAsync(int? port, CancellationToken ct)
        {
            record.ForwardedPort = port;
            store.Save(record);
            return Task.CompletedTask;
        }

        private async Task RunHookAsync(string previousServer)
        {
            await _hooks.WaitAsync().ConfigureAwait(false);
            try
            {
                if (await hooks.RunAsync(record, plan, HookEvents.Failover, previousServer, CancellationToken.None).ConfigureAwait(false)
                    is { Succeeded: false } failed)
                    log.Write(failed.ToString());
            }
#pragma warning disable CA1031 // a hook must never take the supervisor down
            catch (Exception e)
#pragma warning restore CA1031
            {
                log.Write($"ifup hook (failover) failed to run: {e.Message}");
            }
            finally
            {
                _hooks.Release();
            }
        }
    }
}
