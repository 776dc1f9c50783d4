using System.Globalization;

namespace Tunmux.Privileged.Processes;

/// <summary>
/// Records the processes the daemon started, as <c>managed-pids/&lt;pid&gt;.start</c> holding the
/// process start time (field 22 of <c>/proc/&lt;pid&gt;/stat</c>), so that a PID reused by another
/// program is never signalled. The records live under the runtime folder, which only root writes.
/// </summary>
public sealed class ManagedPids(string directory)
{
    public string Directory { get; } = directory;

    public void Register(int pid)
    {
        var start = ReadStartTime(pid) ?? throw new InvalidOperationException($"process {pid} is not running");
        System.IO.Directory.CreateDirectory(Directory);
        var path = EntryPath(pid);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, start.ToString(CultureInfo.InvariantCulture));
        File.Move(tmp, path, overwrite: true);
    }

    public void Unregister(int pid) => File.Delete(EntryPath(pid));

    /// <summary>The start time recorded for <paramref name="pid"/>, or null when there is no (readable) record.</summary>
    public ulong? RecordedStartTime(int pid)
    {
        if (pid <= 1) return null;
        try
        {
            return ulong.TryParse(File.ReadAllText(EntryPath(pid)).Trim(), CultureInfo.InvariantCulture, out var recorded) ? recorded : null;
        }
        catch (IOException) { return null; }
    }

    /// <summary>True when <paramref name="pid"/> was started by the daemon and is still that same process.</summary>
    public bool IsManaged(int pid)
    {
        if (pid <= 1) return false;
        var path = EntryPath(pid);
        if (!File.Exists(path)) return false;
        if (!ulong.TryParse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture, out var recorded)) return false;
        return ReadStartTime(pid) == recorded;
    }

    /// <summary>PIDs recorded and still the same process; stale records are deleted on the way.</summary>
    public IReadOnlyList<int> Live()
    {
        var live = new List<int>();
        if (!System.IO.Directory.Exists(Directory)) return live;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.start"))
        {
            if (!int.TryParse(Path.GetFileNameWithoutExtension(file), CultureInfo.InvariantCulture, out var pid)) continue;
            if (IsManaged(pid)) live.Add(pid);
            else File.Delete(file);
        }
        return live;
    }

    private string EntryPath(int pid) => Path.Combine(Directory, pid.ToString(CultureInfo.InvariantCulture) + ".start");

    /// <summary>Start time in clock ticks since boot, or null when the process does not exist.</summary>
    public static ulong? ReadStartTime(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        return fields.Length > 19 && ulong.TryParse(fields[19], CultureInfo.InvariantCulture, out var t) ? t : null;
    }
}
