using Tunmux.Privileged.Tunnels.Supervision;

namespace Tunmux.Supervision.Tests;

/// <summary>Clocks that move only when told: <see cref="Delay"/> advances them at once, <see cref="Suspend"/> jumps boottime.</summary>
public sealed class FakeClock : ISupervisorClock
{
    public TimeSpan Monotonic { get; private set; } = TimeSpan.FromHours(1);
    public TimeSpan Boottime { get; private set; } = TimeSpan.FromHours(1);
    public DateTimeOffset UtcNow { get; private set; } = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public void Advance(TimeSpan t)
    {
        Monotonic += t;
        Boottime += t;
        UtcNow += t;
    }

    /// <summary>What a suspend and resume look like: boottime and the wall clock moved on, the monotonic clock did not.</summary>
    public void Suspend(TimeSpan t)
    {
        Boottime += t;
        UtcNow += t;
    }

    /// <summary>An NTP step: only the wall clock moves.</summary>
    public void StepWall(TimeSpan t) => UtcNow += t;

    public Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Advance(delay);
        return Task.CompletedTask;
    }
}

/// <summary>An interface whose numbers a test sets: traffic out, traffic in, handshakes.</summary>
public sealed class FakeInterface(FakeClock clock) : IInterfaceReader
{
    public long Rx { get; set; }
    public long Tx { get; set; }
    public DateTimeOffset? Handshake { get; set; }
    public bool Gone { get; set; }

    /// <summary>Whether the server answers: when it does, a forced handshake completes and traffic is answered.</summary>
    public bool ServerAlive { get; set; } = true;

    public int Reads { get; private set; }

    public void Send(long bytes)
    {
        Tx += bytes;
        if (ServerAlive) Rx += bytes;
    }

    public Task<InterfaceSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        Reads++;
        if (Gone) throw new InterfaceGoneException("interface wg-x is gone");
        return Task.FromResult(new InterfaceSnapshot(Rx, Tx, Handshake, "peer", "198.18.11.2:51820"));
    }

    /// <summary>What removing and setting the peer again does: counters and handshake start over; a live server answers.</summary>
    public void PeerSetAgain()
    {
        Rx = Tx = 0;
        Handshake = ServerAlive ? clock.UtcNow : null;
    }
}

/// <summary>An exit whose servers live or die as the test says; records what the supervisor did.</summary>
public sealed class FakeControl(FakeInterface iface, int servers) : IExitControl
{
    public List<string> Calls { get; } = [];
    public bool[] Alive { get; } = Enumerable.Repeat(true, servers).ToArray();
    public int Current { get; private set; }
    public bool ProxyUp { get; set; } = true;
    public int? Port { get; set; }
    public bool ProxyStartFails { get; set; }

    public void Kill(int server)
    {
        Alive[server] = false;
        if (server == Current) iface.ServerAlive = false;
    }

    public Task RehandshakeAsync(CancellationToken ct)
    {
        Calls.Add("rehandshake " + Current);
        iface.ServerAlive = Alive[Current];
        iface.PeerSetAgain();
        return Task.CompletedTask;
    }

    public Task SwitchAsync(int index, CancellationToken ct)
    {
        Calls.Add("switch " + index);
        Current = index;
        iface.ServerAlive = Alive[index];
        iface.PeerSetAgain();
        return Task.CompletedTask;
    }

    public Task SettleAsync(CancellationToken ct)
    {
        Calls.Add("settle");
        return Task.CompletedTask;
    }

    public Task<bool?> ProbeAsync(TimeSpan timeout, CancellationToken ct)
    {
        Calls.Add("probe");
        iface.Send(60);
        return Task.FromResult<bool?>(iface.ServerAlive);
    }

    public bool HasProxy => true;

    public bool ProxyRunning() => ProxyUp;

    public string? ProxyLastWords() => "killed";

    public Task RestartProxyAsync(CancellationToken ct)
    {
        Calls.Add("restart-proxy");
        if (ProxyStartFails) throw new InvalidOperationException("the proxy did not start");
        ProxyUp = true;
        return Task.CompletedTask;
    }

    public Task<int?> MapPortAsync(int? previousPort, TimeSpan lifetime, CancellationToken ct)
    {
        Calls.Add($"map {Current} {previousPort?.ToString() ?? "-"}");
        return Task.FromResult<int?>(Port is null ? null : Port + Current);
    }
}

public sealed class RecordingEvents : ISupervisorEvents
{
    public List<string> Events { get; } = [];

    public Task FailedOverAsync(int from, int to, int failovers, CancellationToken ct)
    {
        Events.Add($"failover {from}->{to} ({failovers})");
        return Task.CompletedTask;
    }

    public Task ForwardedPortChangedAsync(int? port, CancellationToken ct)
    {
        Events.Add($"port {port}");
        return Task.CompletedTask;
    }
}
