using System.Diagnostics;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// <c>pid.kill</c>: signals only a process the daemon itself started and recorded in <see cref="ManagedPids"/>,
/// and only while it is still that same process (same start time). A record whose PID now belongs to
/// another process is refused and deleted.
/// </summary>
public sealed class ManagedProcessKiller(ManagedPids managed, TimeSpan? gracePeriod = null)
{
    private readonly TimeSpan _grace = gracePeriod ?? TimeSpan.FromSeconds(3);

    /// <summary>
    /// Runs between the identity check and the first signal, with the PID. Only tests set it: they end the process
    /// there and hand its PID to another, the race a re-read start time (or a signal by PID) would lose.
    /// </summary>
    internal Action<int>? AfterIdentityCheck { get; init; }

    public async Task KillAsync(int pid, CancellationToken ct)
    {
        // The start time recorded when the daemon started it: the identity every later step compares with.
        var recorded = managed.RecordedStartTime(pid);
        // A handle first, then the identity check: from here on a signal can only reach this process.
        using var handle = recorded is null ? null : PidFd.Open(pid);
        if (recorded is null || handle is null || ManagedPids.ReadStartTime(pid) != recorded)
        {
            // Deletes records whose process is gone or whose PID was reused, this one included.
            managed.Live();
            throw new PrivilegedException(ErrorCodes.NotFound,
                $"process {pid} was not started by the privileged daemon (or has exited); refusing to signal it");
        }

        AfterIdentityCheck?.Invoke(pid);
        handle.Signal(Posix.SigTerm);
        var clock = Stopwatch.StartNew();
        while (handle.IsRunning(pid) && clock.Elapsed < _grace)
            await Task.Delay(25, ct).ConfigureAwait(false);
        if (handle.IsRunning(pid)) handle.Signal(Posix.SigKill);
        managed.Unregister(pid);
    }
}
