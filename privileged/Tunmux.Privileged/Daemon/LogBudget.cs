namespace Tunmux.Privileged.Daemon;

/// <summary>
/// How many lines of one kind (denied peers, failed requests) the daemon writes per minute; the rest are
/// counted and summed up in one line when the next minute starts, so no peer can flood the log.
/// </summary>
public sealed class LogBudget(DaemonLog log, string kind, int perMinute = 20)
{
    private readonly Lock _lock = new();
    private long _windowStart = Environment.TickCount64;
    private int _written;
    private long _suppressed;

    public void Warn(string message)
    {
        string? summary = null;
        lock (_lock)
        {
            var now = Environment.TickCount64;
            if (now - _windowStart >= 60_000)
            {
                if (_suppressed > 0) summary = $"{_suppressed} more {kind} line(s) not written in the last minute";
                _windowStart = now;
                _written = 0;
                _suppressed = 0;
            }
            if (_written >= perMinute)
            {
                _suppressed++;
                message = "";
            }
            else _written++;
        }
        if (summary is not null) log.Warn(summary);
        if (message.Length > 0) log.Warn(message);
    }
}
