using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// The supervisor's clocks. Two of them tell a suspend apart from time passing: <see cref="Monotonic"/> stops
/// while the machine sleeps, <see cref="Boottime"/> does not. Tests feed jumps through a fake.
/// </summary>
public interface ISupervisorClock
{
    /// <summary>CLOCK_MONOTONIC: never jumps, stops during suspend.</summary>
    TimeSpan Monotonic { get; }

    /// <summary>CLOCK_BOOTTIME: never jumps backwards, counts suspend.</summary>
    TimeSpan Boottime { get; }

    /// <summary>The wall clock (WireGuard reports handshakes in wall time); may be stepped.</summary>
    DateTimeOffset UtcNow { get; }

    Task Delay(TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>The machine's clocks.</summary>
public sealed partial class SystemClock : ISupervisorClock
{
    public static SystemClock Instance { get; } = new();

    private const int ClockBoottime = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    public TimeSpan Monotonic => Stopwatch.GetElapsedTime(0);

    public TimeSpan Boottime =>
        ClockGetTime(ClockBoottime, out var t) == 0
            ? TimeSpan.FromSeconds(t.Seconds) + TimeSpan.FromTicks(t.Nanoseconds / 100)
            : Monotonic;

    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;

    public Task Delay(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, cancellationToken);
}
