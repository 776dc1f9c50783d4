using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Processes;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>
/// Run as PID 1 of a fresh PID namespace (<c>unshare --pid --fork --mount-proc</c>), where nothing else creates
/// processes: records a child as the daemon does, asks the daemon's killer to end it, and, right after the killer
/// checked the recorded start time, ends the child and starts another on the very same PID (through
/// <c>ns_last_pid</c>). Prints what happened as one JSON line.
/// </summary>
internal static class PidReuseProbe
{
    public static int Run(string recordsDir)
    {
        var managed = new ManagedPids(recordsDir);
        using var first = Sleeper();
        managed.Register(first.Id);
        Process? second = null;
        var killer = new ManagedProcessKiller(managed, TimeSpan.FromMilliseconds(300))
        {
            AfterIdentityCheck = pid =>
            {
                first.Kill();
                first.WaitForExit();
                // Start times count clock ticks (10 ms): the newcomer must not share the first one's.
                Thread.Sleep(50);
                File.WriteAllText("/proc/sys/kernel/ns_last_pid", (pid - 1).ToString(CultureInfo.InvariantCulture));
                second = Sleeper();
            },
        };
        string? error = null;
        try
        {
            killer.KillAsync(first.Id, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            error = e.GetType().Name + ": " + e.Message;
        }
        var reused = second is not null && second.Id == first.Id;
        Thread.Sleep(200);
        var secondAlive = second is not null && !second.HasExited;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            pid = first.Id,
            reused,
            second_alive = secondAlive,
            record_left = File.Exists(Path.Combine(recordsDir, first.Id + ".start")),
            error,
        }));
        if (second is { HasExited: false }) second.Kill();
        return 0;
    }

    private static Process Sleeper() =>
        Process.Start(new ProcessStartInfo("/bin/sleep", "60") { UseShellExecute = false })!;
}
