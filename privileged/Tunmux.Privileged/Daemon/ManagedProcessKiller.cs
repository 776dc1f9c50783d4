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

    public async Task KillAsync(int pid, CancellationToken ct)
    {
        if (!managed.IsManaged(pid))
        {
            // Deletes records whose process is gone or whose PID was reused, this one included.
            managed.Live();
            throw new PrivilegedException(ErrorCodes.NotFound,
                $"process {pid} was not started by the privileged daemon (or has exited); refusing to signal it");
        }

        var start = ManagedPids.ReadStartTime(pid);
        Posix.Kill(pid, Posix.SigTerm);
        var clock = Stopwatch.StartNew();
        while (IsSameProcess(pid, start) && clock.Elapsed < _grace)
            await Task.Delay(25, ct).ConfigureAwait(false);
        // Checked again right before the hard kill, so a PID reused in the meantime is never hit.
        if (IsSameProcess(pid, start)) Posix.Kill(pid, Posix.SigKill);
        managed.Unregister(pid);
    }

    /// <summary>The process still exists with the same start time and is not a zombie waiting to be reaped.</summary>
    private static bool IsSameProcess(int pid, ulong? start)
    {
        if (ManagedPids.ReadStartTime(pid) != start) return false;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (IOException) { return false; }
    }
}
